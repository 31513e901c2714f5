"""Canonicalization patterns, one file per dialect; ops reach them through traits, so
that xDSL's `canonicalize` pass applies them."""
