"""mlang.backends.reference."""
