"""mlang: a model-centric compiler for the M language."""
