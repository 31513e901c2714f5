"""The names that the language's built-in functions accept: data sets, losses, optimizers,
metrics and quantization modes. The checker (`frontend/`) and the runtime share them, so
they sit below both."""

BUILTIN_DATASETS = ("digits", "iris", "wine", "breast_cancer", "diabetes", "tweets")
# Feature counts of the bundled data sets; all their labels are integral (i64).
BUILTIN_FEATURES = {"digits": 64, "iris": 4, "wine": 13, "breast_cancer": 30, "diabetes": 10}
LOSSES = ("cross_entropy", "mse")
OPTIMIZERS = ("adam", "adamw", "sgd")
METRICS = ("accuracy", "loss", "mse", "mae", "f1")
SCHEDULES = ("constant", "linear", "cosine")
PRECISIONS = ("fp32", "bf16")
QUANT_MODES = ("weight", "dynamic", "static")
EXPORT_FORMATS = (".onnx", ".pt2")


def calibrate_unread(mode: object) -> str | None:
    """Why `calibrate=` cannot go with `mode`: only mode="static" reads it; None if it can
    (or if the mode is not one of the modes, which is its own error)."""
    if mode in ("weight", "dynamic"):
        return f'calibrate is only read by mode="static"; mode="{mode}" would ignore it'
    return None
