"""mlang.support."""
