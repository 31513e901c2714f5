"""mlang.backends.torch."""
