"""mlang.backends."""
