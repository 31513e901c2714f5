"""The built-in layers (spec section 6): their signatures, parameters with PyTorch's names,
shapes and default initialisation, and the IR of a call.

A layer used as a field is a `LayerSpec`; calling it emits one `model` layer op (none
for a `Flatten` with nothing to flatten) whose parameters are read with `model.get_param`
at the layer's path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from xdsl.dialects.builtin import DenseArrayBase, FloatAttr, IntegerAttr, StringAttr, f64, i64
from xdsl.ir import Attribute, OpResult, Operation, SSAValue

from mlang.dialects.model import layers as L
from mlang.dialects.model.base import bool_attr
from mlang.frontend import ast
from mlang.frontend.builtin_args import (
    ranked, shape_rule, static_bool, static_int, static_number,
)
from mlang.frontend.emitter import Emitter
from mlang.frontend.signatures import Required, Signature, bind
from mlang.frontend.tensor_functions import flatten
from mlang.frontend.types import TensorT, ir_type, is_float_dtype
from mlang.frontend.values import Dyn, LayerSpec, Static, StaticValue, Value
from mlang.support import shapes
from mlang.support.diagnostics import CompileError, Loc, ShapeMismatch


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a layer: name suffix, shape, initialiser and its scale, dtype, and
    whether it is a buffer (saved state that training does not update by gradients)."""

    suffix: str
    shape: tuple[int, ...]
    init: str
    scale: float
    dtype: str = "f32"
    buffer: bool = False
    zero_row: int | None = None
    """A row set to zero after drawing (an Embedding's `padding_idx`)."""


SIGNATURES: dict[str, Signature[StaticValue]] = {
    s.name: s for s in (
        Signature.of("Linear", "in", "out", ("bias", True)),
        *(Signature.of(conv, "in_ch", "out_ch", "kernel", ("stride", 1), ("padding", 0),
                       ("bias", True), ("groups", 1), ("dilation", 1))
          for conv in ("Conv2d", "Conv1d")),
        Signature.of("Embedding", "count", "dim", ("padding_idx", None)),
        Signature.of("LayerNorm", "dim", ("eps", 1e-5), ("bias", True)),
        *(Signature.of(bn, "features", ("eps", 1e-5), ("momentum", 0.1))
          for bn in ("BatchNorm1d", "BatchNorm2d")),
        Signature.of("GroupNorm", "groups", "channels", ("eps", 1e-5)),
        Signature.of("AdaptiveAvgPool2d", "size"),
        Signature.of("Identity"),
        Signature.of("RMSNorm", "dim", ("eps", 1e-6)),
        Signature.of("Attention", "dim", "heads", ("causal", False)),
        Signature.of("Dropout", "p"),
        Signature.of("MaxPool2d", "kernel", ("stride", None), ("padding", 0)),
        Signature.of("AvgPool2d", "kernel", ("stride", None), ("padding", 0)),
        Signature.of("Flatten", ("start", 1)),
    )
}

INT_ARGS = ("in", "out", "in_ch", "out_ch", "kernel", "count", "dim", "heads", "groups",
            "dilation", "features", "channels", "size")
CONVS = {"Conv1d": 1, "Conv2d": 2}
"""The convolution layers and their number of spatial dimensions."""


def make_layer(kind: str, call: ast.Call, args: list[Value], kwargs: dict[str, Value],
               path: str) -> LayerSpec:
    """Binds and checks the arguments of a built-in layer used as a field."""
    sig = SIGNATURES[kind]
    bound = bind(sig, call, args, kwargs)
    values: dict[str, StaticValue] = {}
    for name, default in sig.params:
        v = bound.args[name]
        if v is None:
            assert not isinstance(default, Required)  # `bind` reported it missing
            v = Static(default)
        loc = bound.locs.get(name, call.loc)
        if _is_none(v) and default is not None:
            # `none` means "the default" only where the default is none (a pool's stride).
            raise CompileError(loc, f"{kind} argument '{name}' cannot be none")
        values[name] = _static_arg(kind, name, v, loc)
    if kind in ("MaxPool2d", "AvgPool2d") and values["stride"] is None:
        values["stride"] = values["kernel"]
    spec = LayerSpec(kind, values, path, call.loc)
    if kind == "Attention" and spec.int_arg("dim") % spec.int_arg("heads"):
        raise CompileError(call.loc, f"Attention: dim {values['dim']} is not divisible by "
                                     f"{values['heads']} heads")
    _check_combination(spec, bound.locs)
    return spec


def _check_combination(spec: LayerSpec, locs: Mapping[str, Loc]) -> None:
    """Checks the arguments of the layers of M 0.2 against each other (each error at the
    argument at fault), and makes an Embedding's `padding_idx` a row index."""
    kind, values = spec.kind, spec.args
    if kind in CONVS:
        _check_conv(spec, locs)
    if kind in ("MaxPool2d", "AvgPool2d") and 2 * spec.int_arg("padding") > spec.int_arg("kernel"):
        raise CompileError(locs.get("padding", spec.loc),
                           f"{kind}: padding {values['padding']} is more than half the kernel "
                           f"{values['kernel']}")
    if kind == "Embedding" and values["padding_idx"] is not None:
        values["padding_idx"] = _padding_row(spec, locs.get("padding_idx", spec.loc))
    if kind == "GroupNorm" and spec.int_arg("channels") % spec.int_arg("groups"):
        raise CompileError(locs.get("groups", spec.loc),
                           f"GroupNorm: {values['channels']} channels do not split into "
                           f"{values['groups']} groups")


def _padding_row(spec: LayerSpec, loc: Loc) -> int:
    """An Embedding's `padding_idx` as a row index: in [-count, count), negative ones
    counted from the end, as PyTorch does."""
    count, idx = spec.int_arg("count"), spec.int_arg("padding_idx")
    if not -count <= idx < count:
        raise CompileError(loc, f"Embedding: padding_idx {idx} is outside [-{count}, {count})")
    return idx % count


def _check_conv(spec: LayerSpec, locs: Mapping[str, Loc]) -> None:
    """A convolution's groups divide both channel counts; `padding="same"` (the input's
    size kept) needs stride 1, as in PyTorch."""
    groups = spec.int_arg("groups")
    for name in ("in_ch", "out_ch"):
        if spec.int_arg(name) % groups:
            raise CompileError(locs.get("groups", spec.loc),
                               f"{spec.kind}: {name} {spec.int_arg(name)} is not divisible by "
                               f"groups {groups}")
    if spec.args["padding"] == "same" and spec.int_arg("stride") != 1:
        raise CompileError(locs.get("padding", spec.loc),
                           f"{spec.kind}: padding=\"same\" needs stride 1, got stride "
                           f"{spec.int_arg('stride')}")


def _static_arg(kind: str, name: str, v: Value, loc: Loc) -> StaticValue:
    """One layer argument, which must be known at compile time."""
    what = f"{kind} argument '{name}'"
    if name == "padding" and isinstance(v, Static) and isinstance(v.value, str):
        if v.value != "same":
            raise CompileError(loc, f"{what} must be an integer or \"same\", got "
                                    f"\"{v.value}\"")
        return "same"
    if name == "padding_idx" and not _is_none(v):
        return static_int(v, loc, what)
    if name in INT_ARGS or (name in ("stride", "padding", "start") and not _is_none(v)):
        n = static_int(v, loc, what)
        low = 0 if name in ("padding", "start") else 1
        if n < low and not (name == "start"):
            raise CompileError(loc, f"{what} must be at least {low}, got {n}")
        return n
    if name == "bias" or name == "causal":
        return static_bool(v, loc, what)
    if name in ("eps", "p", "momentum"):
        x = static_number(v, loc, what)
        if name == "momentum" and not 0.0 < x <= 1.0:
            raise CompileError(loc, f"{what} must be in (0, 1], got {x:g}")
        if name == "p" and not 0.0 <= x < 1.0:
            raise CompileError(loc, f"Dropout probability must be in [0, 1), got {x:g}")
        if name == "eps" and x <= 0:
            raise CompileError(loc, f"{what} must be positive")
        return x
    return None


def _is_none(v: Value) -> bool:
    """True for the value `none`."""
    return isinstance(v, Static) and v.value is None


def layer_params(spec: LayerSpec) -> list[ParamSpec]:
    """The parameters of a layer in PyTorch's state_dict order."""
    n = spec.int_arg
    if spec.kind == "Linear":
        return _linear(n("in"), n("out"), bool(spec.args["bias"]))
    if spec.kind in CONVS:
        k, cin, cout = n("kernel"), n("in_ch") // n("groups"), n("out_ch")
        kernel = (k,) * CONVS[spec.kind]
        return _weight_and_bias((cout, cin, *kernel), cin * k ** len(kernel),
                                bool(spec.args["bias"]))
    if spec.kind == "Embedding":
        pad = spec.args["padding_idx"]
        return [ParamSpec("weight", (n("count"), n("dim")), "normal", 1.0,
                          zero_row=pad if isinstance(pad, int) else None)]
    if spec.kind == "LayerNorm":
        return _affine(n("dim"), bool(spec.args["bias"]))
    if spec.kind == "GroupNorm":
        return _affine(n("channels"), True)
    if spec.kind in ("BatchNorm1d", "BatchNorm2d"):
        c = n("features")
        return [*_affine(c, True), ParamSpec("running_mean", (c,), "zeros", 0.0, buffer=True),
                ParamSpec("running_var", (c,), "ones", 1.0, buffer=True),
                ParamSpec("num_batches_tracked", (), "zeros", 0.0, "i64", buffer=True)]
    if spec.kind == "RMSNorm":
        return [ParamSpec("weight", (n("dim"),), "ones", 1.0)]
    if spec.kind == "Attention":
        d = n("dim")
        return [ParamSpec(f"{proj}.{p.suffix}", p.shape, p.init, p.scale)
                for proj in ("q", "k", "v", "out") for p in _linear(d, d, True)]
    return []


def _affine(dim: int, bias: bool) -> list[ParamSpec]:
    """A norm's per-feature scale (ones) and optional shift (zeros)."""
    params = [ParamSpec("weight", (dim,), "ones", 1.0)]
    if bias:
        params.append(ParamSpec("bias", (dim,), "zeros", 0.0))
    return params


def _linear(fan_in: int, fan_out: int, bias: bool) -> list[ParamSpec]:
    """Linear's parameters."""
    return _weight_and_bias((fan_out, fan_in), fan_in, bias)


def _weight_and_bias(shape: tuple[int, ...], fan_in: int, bias: bool) -> list[ParamSpec]:
    """A Linear or Conv2d weight (kaiming_uniform with a=sqrt(5)) and its optional bias."""
    params = [ParamSpec("weight", shape, "uniform", kaiming_bound(fan_in))]
    if bias:
        params.append(ParamSpec("bias", shape[:1], "uniform", 1.0 / math.sqrt(fan_in)))
    return params


def kaiming_bound(fan_in: int) -> float:
    """The bound of `kaiming_uniform_(a=sqrt(5))`, about 1/sqrt(fan_in), computed exactly as
    torch.nn.init does so that seeded initial values are bit-for-bit PyTorch's."""
    gain = math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))
    return math.sqrt(3.0) * (gain / math.sqrt(fan_in))


# ------------------------------------------------------------------------ calls

LayerEmit = Callable[[Emitter, LayerSpec, Dyn[TensorT], Loc], Dyn[TensorT]]
Mask = tuple[Value, Loc]
"""An `Attention` call's `mask=` argument and where it is written."""


def call_mask(spec: LayerSpec, call: ast.Call, kwargs: dict[str, Value]) -> Mask | None:
    """The `mask=` of an `Attention` call, taken out of `kwargs` (which other layers, and
    other names, leave for the one-input check); `mask=none` is no mask."""
    if spec.kind != "Attention" or "mask" not in kwargs:
        return None
    value = kwargs.pop("mask")
    if isinstance(value, Static) and value.value is None:
        return None
    return value, next(k.value.loc for k in call.kwargs if k.name == "mask")


def emit_layer(em: Emitter, spec: LayerSpec, x: Value, loc: Loc,
               mask: Mask | None = None) -> Dyn[TensorT]:
    """Emits a call of a layer on `x` (an `Attention` with an optional mask), checking the
    input's dtype and shape."""
    inp = em.tensor(x, loc)
    dtype = inp.type.dtype
    if spec.kind not in ("Embedding", "Flatten", "MaxPool2d", "Identity") \
            and not is_float_dtype(dtype):
        raise CompileError(loc, f"{spec.kind} at '{spec.path}' needs a floating-point input, "
                                f"got {inp.type}")
    if layer_params(spec) and spec.kind != "Embedding" and dtype != "f32":
        raise CompileError(loc, f"{spec.kind} at '{spec.path}' computes in f32, as its "
                                f"parameters are: cast its input, got {inp.type}")
    if mask is not None:
        out = _attention_call(em, spec, inp, loc, mask)
    else:
        out = EMITTERS[spec.kind](em, spec, inp, loc)
    # Identity, and a Flatten with nothing to flatten, give their input back: no op to name.
    if isinstance(out.ssa, OpResult) and out.ssa is not inp.ssa:
        out.ssa.op.attributes["layer"] = StringAttr(spec.path)
    return out


def _params(em: Emitter, spec: LayerSpec, loc: Loc) -> list[SSAValue]:
    """The SSA values of a layer's parameters, in declaration order."""
    return [em.param(f"{spec.path}.{p.suffix}", loc) for p in layer_params(spec)]


def _checked(loc: Loc, spec: LayerSpec, rule: Callable[[], shapes.Shape]) -> shapes.Shape:
    """Applies a shape rule; a mismatch is reported at the call, naming the layer."""
    return shape_rule(loc, f"{spec.kind} at '{spec.path}'", rule)


def _check_last_dim(loc: Loc, spec: LayerSpec, shape: shapes.Shape, what: str) -> None:
    """Checks that the last dimension of the input is the layer's `dim`."""

    def rule() -> shapes.Shape:
        shapes.check_last_dim(shape, spec.int_arg("dim"), what)
        return shape

    _checked(loc, spec, rule)


def _emit(em: Emitter, op: type[Operation], spec: LayerSpec, operands: list[SSAValue],
          t: TensorT, props: Mapping[str, Attribute], loc: Loc) -> Dyn[TensorT]:
    """Inserts a layer op."""
    return em.result(op.create(operands=operands, result_types=[ir_type(t)], properties=props),
                     t, loc)


def _linear_call(em: Emitter, spec: LayerSpec, x: Dyn[TensorT], loc: Loc) -> Dyn[TensorT]:
    shape = ranked(x.type, loc, "Linear")
    weight = (spec.int_arg("out"), spec.int_arg("in"))
    out = _checked(loc, spec, lambda: shapes.linear_shape(shape, weight))
    return _emit(em, L.LinearOp, spec, [x.ssa, *_params(em, spec, loc)],
                 TensorT(x.type.dtype, out), {}, loc)


def _conv_call(em: Emitter, spec: LayerSpec, x: Dyn[TensorT], loc: Loc) -> Dyn[TensorT]:
    n = spec.int_arg
    shape = ranked(x.type, loc, spec.kind)
    rank = CONVS[spec.kind] + 2
    if len(shape) != rank:
        raise ShapeMismatch(loc, f"{spec.kind} at '{spec.path}' expects a {rank}-d input "
                                 f"[N, C, ...], got {x.type}")
    geometry = _conv_geometry(spec)
    w = (n("out_ch"), n("in_ch") // n("groups"), *(n("kernel"),) * CONVS[spec.kind])
    out = _checked(loc, spec, lambda: shapes.conv_shape(shape, w, geometry))
    props = {"stride": IntegerAttr(geometry.stride, i64),
             "padding": IntegerAttr(geometry.padding, i64)}
    optional = {"pad_end": (geometry.pad_end, geometry.padding),
                "dilation": (geometry.dilation, 1), "groups": (geometry.groups, 1)}
    props |= {k: IntegerAttr(v, i64) for k, (v, default) in optional.items() if v != default}
    op = L.Conv2dOp if spec.kind == "Conv2d" else L.Conv1dOp
    return _emit(em, op, spec, [x.ssa, *_params(em, spec, loc)], TensorT(x.type.dtype, out),
                 props, loc)


def _conv_geometry(spec: LayerSpec) -> shapes.ConvGeometry:
    """A convolution layer's geometry; `padding="same"` pads `dilation * (kernel - 1)` in
    all, the odd one at the end, as PyTorch does."""
    n = spec.int_arg
    dilation = n("dilation")
    if spec.args["padding"] == "same":
        total = dilation * (n("kernel") - 1)
        start, end = total // 2, total - total // 2
    else:
        start = end = n("padding")
    return shapes.ConvGeometry(n("stride"), start, end, dilation, n("groups"))


def _embedding_call(em: Emitter, spec: LayerSpec, x: Dyn[TensorT], loc: Loc) -> Dyn[TensorT]:
    if x.type.dtype not in ("i64", "i32", "i8"):
        raise CompileError(loc, f"Embedding at '{spec.path}' needs integer ids, got {x.type}")
    shape = ranked(x.type, loc, "Embedding") + (spec.int_arg("dim"),)
    pad = spec.args["padding_idx"]
    props = {} if pad is None else {"padding_idx": IntegerAttr(spec.int_arg("padding_idx"), i64)}
    return _emit(em, L.EmbeddingOp, spec, [x.ssa, *_params(em, spec, loc)],
                 TensorT("f32", shape), props, loc)


def _norm_call(em: Emitter, spec: LayerSpec, x: Dyn[TensorT], loc: Loc) -> Dyn[TensorT]:
    _check_last_dim(loc, spec, ranked(x.type, loc, spec.kind), spec.kind)
    op = L.LayerNormOp if spec.kind == "LayerNorm" else L.RmsNormOp
    props = {"eps": FloatAttr(spec.float_arg("eps"), f64)}
    return _emit(em, op, spec, [x.ssa, *_params(em, spec, loc)], x.type, props, loc)


BATCH_NORM_RANKS = {"BatchNorm1d": (2, 3), "BatchNorm2d": (4,)}
"""The input ranks each batch norm takes: [N, C] or [N, C, L]; [N, C, H, W]."""


def _channel_norm_call(em: Emitter, spec: LayerSpec, x: Dyn[TensorT],
                       loc: Loc) -> Dyn[TensorT]:
    """BatchNorm1d/2d and GroupNorm: normalisation over the channels of axis 1."""
    shape = ranked(x.type, loc, spec.kind)
    ranks = BATCH_NORM_RANKS.get(spec.kind, tuple(range(2, 9)))
    if len(shape) not in ranks:
        want = " or ".join(f"{r}-d" for r in ranks) if len(ranks) < 3 else "at least 2-d"
        raise ShapeMismatch(loc, f"{spec.kind} at '{spec.path}' expects a {want} input "
                                 f"[N, C, ...], got {x.type}")
    channels = (spec.int_arg("channels" if spec.kind == "GroupNorm" else "features"),)
    _checked(loc, spec, lambda: shapes.channels_shape(shape, channels))
    props: dict[str, Attribute] = {"eps": FloatAttr(spec.float_arg("eps"), f64)}
    if spec.kind == "GroupNorm":
        props["groups"] = IntegerAttr(spec.int_arg("groups"), i64)
        op: type[Operation] = L.GroupNormOp
    else:
        props["momentum"] = FloatAttr(spec.float_arg("momentum"), f64)
        op = L.BatchNormOp
    return _emit(em, op, spec, [x.ssa, *_params(em, spec, loc)], x.type, props, loc)


def _attention_call(em: Emitter, spec: LayerSpec, x: Dyn[TensorT], loc: Loc,
                    mask: Mask | None = None) -> Dyn[TensorT]:
    shape = ranked(x.type, loc, "Attention")
    if len(shape) != 3:
        raise ShapeMismatch(loc, f"Attention at '{spec.path}' expects [N, T, dim], got {x.type}")
    _check_last_dim(loc, spec, shape, "Attention")
    heads = spec.int_arg("heads")
    props: dict[str, Attribute] = {"heads": IntegerAttr(heads, i64),
                                   "causal": bool_attr(bool(spec.args["causal"]))}
    operands = [x.ssa, *_params(em, spec, loc)]
    if mask is not None:
        scores = (shape[0], heads, shape[1], shape[1])
        operands.append(_attention_mask(em, spec, x.type.dtype, scores, mask).ssa)
    return _emit(em, L.AttentionOp, spec, operands, x.type, props, loc)


def _attention_mask(em: Emitter, spec: LayerSpec, dtype: str, scores: shapes.Shape,
                    mask: Mask) -> Dyn[TensorT]:
    """An `Attention` call's mask, checked to broadcast to its `scores`: boolean as given,
    any other kind cast to the input's dtype (it is added to the scores)."""
    value, loc = mask
    m = em.tensor(value, loc)
    shape = ranked(m.type, loc, "Attention")
    aligned = zip(reversed(shape), reversed(scores))
    if len(shape) > 4 or any(d != 1 and shapes.dims_conflict(d, s) for d, s in aligned):
        raise ShapeMismatch(loc, f"Attention at '{spec.path}': the mask {m.type} does not "
                                 f"broadcast to the scores {shapes.fmt_shape(scores)}")
    return m if m.type.dtype in ("bool", dtype) else em.tensor(m, loc, dtype)


def _dropout_call(em: Emitter, spec: LayerSpec, x: Dyn[TensorT], loc: Loc) -> Dyn[TensorT]:
    return em.result(L.DropoutOp(x.ssa, spec.float_arg("p")), x.type, loc)


def _pool_call(em: Emitter, spec: LayerSpec, x: Dyn[TensorT], loc: Loc) -> Dyn[TensorT]:
    k, s, p = spec.int_arg("kernel"), spec.int_arg("stride"), spec.int_arg("padding")
    shape = ranked(x.type, loc, spec.kind)
    out = _checked(loc, spec, lambda: shapes.pool2d_shape(shape, k, s, p))
    op = L.MaxPool2dOp if spec.kind == "MaxPool2d" else L.AvgPool2dOp
    props = {"kernel": IntegerAttr(k, i64), "stride": IntegerAttr(s, i64)}
    if p:
        props["padding"] = IntegerAttr(p, i64)
    return _emit(em, op, spec, [x.ssa], TensorT(x.type.dtype, out), props, loc)


def _adaptive_pool_call(em: Emitter, spec: LayerSpec, x: Dyn[TensorT],
                        loc: Loc) -> Dyn[TensorT]:
    size = (spec.int_arg("size"),) * 2
    shape = ranked(x.type, loc, spec.kind)
    out = _checked(loc, spec, lambda: shapes.adaptive_pool2d_shape(shape, size))
    if size != (1, 1) and not all(isinstance(n, int) for n in shape[2:]):
        # Each output cell's bounds depend on the input's size: they are compiled in.
        raise CompileError(loc, f"AdaptiveAvgPool2d at '{spec.path}' to a size other than 1 "
                                f"needs static input sizes, got {x.type}")
    props = {"size": DenseArrayBase.from_list(i64, size)}
    return _emit(em, L.AdaptiveAvgPool2dOp, spec, [x.ssa], TensorT(x.type.dtype, out), props,
                 loc)


def _identity_call(em: Emitter, spec: LayerSpec, x: Dyn[TensorT], loc: Loc) -> Dyn[TensorT]:
    return x


def _flatten_call(em: Emitter, spec: LayerSpec, x: Dyn[TensorT], loc: Loc) -> Dyn[TensorT]:
    return flatten(em, x, spec.int_arg("start"), loc)


EMITTERS: dict[str, LayerEmit] = {
    "Linear": _linear_call, "Conv2d": _conv_call, "Embedding": _embedding_call,
    "LayerNorm": _norm_call, "RMSNorm": _norm_call, "Attention": _attention_call,
    "Dropout": _dropout_call, "MaxPool2d": _pool_call, "AvgPool2d": _pool_call,
    "Flatten": _flatten_call, "Conv1d": _conv_call, "BatchNorm1d": _channel_norm_call,
    "BatchNorm2d": _channel_norm_call, "GroupNorm": _channel_norm_call,
    "AdaptiveAvgPool2d": _adaptive_pool_call, "Identity": _identity_call,
}
