"""mlang.dialects."""
