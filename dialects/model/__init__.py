"""mlang.dialects.model."""
