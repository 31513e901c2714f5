"""`summary(model)`: a table of the layers of a model's forward method.

The rows come from the layer ops of the model-level definition. A quantized model runs a
tensor-level definition, in which layers are no longer ops: `quantize()` copies the rows
into its `layers` attribute (`[["fc1", "Linear", "[?, 256]", "f32"], ...]`), which travels
with the definition into packages.
"""

from __future__ import annotations

from xdsl.dialects.builtin import ArrayAttr, StringAttr, i8
from xdsl.ir import Operation

from mlang.dialects.model import functions as fn
from mlang.dialects.model import layers as L
from mlang.dialects.model.structure import DefOp
from mlang.dialects.model.types import dtype_name, element_of, shape_of
from mlang.runtime.model import ModelInstance, scale_parameters
from mlang.support.shapes import fmt_shape

LAYER_NAMES = {
    L.LinearOp: "Linear", L.Conv2dOp: "Conv2d", L.EmbeddingOp: "Embedding",
    L.LayerNormOp: "LayerNorm", L.RmsNormOp: "RMSNorm", L.AttentionOp: "Attention",
    L.DropoutOp: "Dropout", L.MaxPool2dOp: "MaxPool2d", L.AvgPool2dOp: "AvgPool2d",
    fn.FlattenOp: "Flatten",  # a Flatten layer is the flatten function, marked as a layer
    L.Conv1dOp: "Conv1d", L.GroupNormOp: "GroupNorm", L.AdaptiveAvgPool2dOp: "AdaptiveAvgPool2d",
}
HEADER = ("layer", "type", "output", "dtype", "params")
LAYERS = "layers"
"""The `model.def` attribute that keeps the layer rows of a lowered definition."""


def layer_rows(definition: DefOp) -> list[tuple[str, str, str, str]]:
    """Path, type, output shape and output dtype of each layer of `forward`."""
    kept = definition.attributes.get(LAYERS)
    if isinstance(kept, ArrayAttr):
        return [tuple(s.data for s in row.data) for row in kept.data]
    rows = []
    seen: set[str] = set()
    for op in definition.methods["forward"].walk():
        attr = op.attributes.get("layer")
        kind = layer_kind(op)
        if kind is None or not isinstance(attr, StringAttr) or attr.data in seen:
            continue
        seen.add(attr.data)
        t = op.results[0].type
        rows.append((attr.data, kind, fmt_shape(shape_of(t)), dtype_name(element_of(t))))
    return rows


def layer_kind(op: Operation) -> str | None:
    """The layer an op is, as M names it (`BatchNorm2d` by its input's rank); None for an
    op that is no layer."""
    if isinstance(op, L.BatchNormOp):
        return "BatchNorm2d" if len(shape_of(op.input.type)) == 4 else "BatchNorm1d"
    return LAYER_NAMES.get(type(op))


def tensor_field_rows(model: ModelInstance, layers: list[str],
                      counts: dict[str, int]) -> list[tuple[str, ...]]:
    """A row for each trainable tensor field (`param cls_token`) outside every layer."""
    rows: list[tuple[str, ...]] = []
    for p in model.definition.params:
        name = p.sym_name.data
        if name in counts and not any(name.startswith(f"{path}.") for path in layers):
            t = p.param_type
            rows.append((name, "Parameter", fmt_shape(shape_of(t)),
                         dtype_name(element_of(t)), str(counts[name])))
    return rows


def layer_table(definition: DefOp) -> ArrayAttr:
    """The layer rows of a definition as an attribute, for its lowered forms."""
    return ArrayAttr([ArrayAttr([StringAttr(c) for c in row]) for row in layer_rows(definition)])


def summary_table(model: ModelInstance) -> str:
    """One row per layer: path, type, output shape, weight dtype and parameter count."""
    counts = parameter_counts(model)
    int8 = {p.sym_name.data for p in model.definition.params if p.param_type.element_type == i8}
    rows: list[tuple[str, ...]] = []
    layers = layer_rows(model.definition)
    for path, kind, shape, dtype in layers:
        n = sum(c for name, c in counts.items() if name.startswith(path + "."))
        quantized = {path + ".weight", path + ".q.weight"} & int8
        rows.append((path, kind, shape, "int8" if quantized else dtype, str(n)))
    rows.extend(tensor_field_rows(model, [row[0] for row in layers], counts))
    rows.append(("total", model.name, "", "", str(model.parameter_count())))
    return format_table([HEADER, *rows])


def parameter_counts(model: ModelInstance) -> dict[str, int]:
    """Elements per parameter name, float and int8 alike, as `parameter_count` counts
    them: scales, buffers (running statistics) and a tied tensor's second name are not."""
    definition = model.definition
    skipped = scale_parameters(definition) | set(definition.ties) | definition.buffers
    return {k: v.numel() for k, v in model.params.items() if k not in skipped}


def format_table(rows: list[tuple[str, ...]]) -> str:
    """Left-aligned columns separated by two spaces, the last column right-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = [c.ljust(w) for c, w in zip(r[:-1], widths)] + [r[-1].rjust(widths[-1])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
