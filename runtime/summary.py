"""`summary(model)`: a table of the layers of a model's forward method."""

from __future__ import annotations

from xdsl.dialects.builtin import StringAttr

from mlang.dialects.model import layers as L
from mlang.dialects.model.types import dtype_name, element_of, shape_of
from mlang.runtime.model import ModelInstance
from mlang.support.shapes import fmt_shape

LAYER_NAMES = {
    L.LinearOp: "Linear", L.Conv2dOp: "Conv2d", L.EmbeddingOp: "Embedding",
    L.LayerNormOp: "LayerNorm", L.RmsNormOp: "RMSNorm", L.AttentionOp: "Attention",
    L.DropoutOp: "Dropout", L.MaxPool2dOp: "MaxPool2d", L.AvgPool2dOp: "AvgPool2d",
}
HEADER = ("layer", "type", "output", "dtype", "params")


def summary_table(model: ModelInstance) -> str:
    """One row per layer: path, type, output shape, weight dtype and parameter count."""
    counts = parameter_counts(model)
    dtypes = {name: str(q.dtype).removeprefix("torch.") for name, (q, _) in
              (model.int8.weights.items() if model.int8 else [])}
    rows: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for op in model.definition.methods["forward"].walk():
        attr = op.attributes.get("layer")
        if type(op) not in LAYER_NAMES or not isinstance(attr, StringAttr) or attr.data in seen:
            continue
        path = attr.data
        seen.add(path)
        n = sum(c for name, c in counts.items() if name.startswith(path + "."))
        weight_dtype = dtypes.get(path + ".weight") or dtypes.get(path + ".q.weight")
        t = op.results[0].type
        rows.append((path, LAYER_NAMES[type(op)], fmt_shape(shape_of(t)),
                     weight_dtype or dtype_name(element_of(t)), str(n)))
    rows.append(("total", model.name, "", "", str(model.parameter_count())))
    return format_table([HEADER, *rows])


def parameter_counts(model: ModelInstance) -> dict[str, int]:
    """Elements per parameter name, float and quantized alike."""
    counts = {k: v.numel() for k, v in model.params.items()}
    if model.int8:
        counts.update({k: q.numel() for k, (q, _) in model.int8.weights.items()})
    return counts


def format_table(rows: list[tuple[str, ...]]) -> str:
    """Left-aligned columns separated by two spaces, the last column right-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = [c.ljust(w) for c, w in zip(r[:-1], widths)] + [r[-1].rjust(widths[-1])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
