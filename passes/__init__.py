"""mlang.passes."""
