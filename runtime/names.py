"""The names of options that the language accepts, shared by the checker and the runtime."""

BUILTIN_DATASETS = ("digits", "iris", "wine", "breast_cancer", "diabetes")
LOSSES = ("cross_entropy", "mse")
OPTIMIZERS = ("adam", "adamw", "sgd")
METRICS = ("accuracy", "loss", "mse", "mae", "f1")
QUANT_MODES = ("weight", "dynamic", "static")
