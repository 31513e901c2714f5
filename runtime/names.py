"""The names of options that the language accepts, shared by the checker and the runtime."""

BUILTIN_DATASETS = ("digits", "iris", "wine", "breast_cancer", "diabetes")
# Feature counts of the bundled data sets; all their labels are integral (i64).
BUILTIN_FEATURES = {"digits": 64, "iris": 4, "wine": 13, "breast_cancer": 30, "diabetes": 10}
LOSSES = ("cross_entropy", "mse")
OPTIMIZERS = ("adam", "adamw", "sgd")
METRICS = ("accuracy", "loss", "mse", "mae", "f1")
QUANT_MODES = ("weight", "dynamic", "static")
