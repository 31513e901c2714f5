"""mlang.runtime."""
