"""mlang.frontend."""
