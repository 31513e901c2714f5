"""mlang.tools."""
