"""IR generation for M 0.2's attention functions: `attention`, `rope` and `gelu` with its
`approximate` argument. Registered into `tensor_functions.FUNCTIONS` on import.
"""

from __future__ import annotations

import math

from mlang.dialects.model.attention import (
    GeluTanhOp, RopeOp, SdpaOp, attention_shape, rope_shape,
)
from mlang.frontend.builtin_args import (
    Args, Locs, ranked, required, shape_rule, static_bool, static_number, tensor_arg,
)
from mlang.frontend.emitter import Emitter
from mlang.frontend.operators import emit_unary
from mlang.frontend.signatures import Signature
from mlang.frontend.tensor_functions import function
from mlang.frontend.types import TensorT, category, ir_type, is_float_dtype
from mlang.frontend.values import Dyn, Static, Value, describe
from mlang.support.diagnostics import CompileError, Loc

GELU_APPROXIMATIONS = ("none", "tanh")


def _is_none(v: Value | None) -> bool:
    """Whether an optional argument is left out or `none`."""
    return v is None or (isinstance(v, Static) and v.value is None)


def _float_tensor(em: Emitter, a: Args, locs: Locs, name: str) -> Dyn[TensorT]:
    """A floating-point tensor argument."""
    x = tensor_arg(em, a[name], locs[name])
    if not is_float_dtype(x.type.dtype):
        raise CompileError(locs[name], f"attention: {name} must be a floating-point tensor, "
                                       f"got {x.type}")
    return x


def _mask(em: Emitter, a: Args, locs: Locs, dtype: str) -> Dyn[TensorT] | None:
    """The optional mask: boolean as given, any other kind cast to the scores' dtype."""
    if _is_none(a["mask"]):
        return None
    mask = tensor_arg(em, a["mask"], locs["mask"])
    if mask.type.dtype == "bool" or mask.type.dtype == dtype:
        return mask
    return em.tensor(mask, locs["mask"], dtype)


@function(Signature.of("attention", "q", "k", "v", ("mask", None), ("causal", False),
                       ("scale", None)))
def emit_attention(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Scaled dot-product attention with an optional mask, causal and grouped-query heads."""
    q, k, v = (_float_tensor(em, a, locs, name) for name in ("q", "k", "v"))
    if len({q.type.dtype, k.type.dtype, v.type.dtype}) != 1:
        raise CompileError(loc, f"attention: q, k and v must have one dtype, got {q.type}, "
                                f"{k.type} and {v.type}")
    mask = _mask(em, a, locs, q.type.dtype)
    causal = static_bool(a["causal"] or Static(False), locs["causal"], "causal")
    qs = ranked(q.type, locs["q"], "attention")
    ks, vs = ranked(k.type, locs["k"], "attention"), ranked(v.type, locs["v"], "attention")
    mask_shape = None if mask is None else ranked(mask.type, locs["mask"], "attention")
    shape = shape_rule(loc, "attention", lambda: attention_shape(qs, ks, vs, None))
    shape_rule(locs["mask"], "attention", lambda: attention_shape(qs, ks, vs, mask_shape))
    scale = _scale(a, locs, qs[-1] if qs else None)
    t = TensorT(q.type.dtype, shape)
    op = SdpaOp(q.ssa, k.ssa, v.ssa, None if mask is None else mask.ssa, scale, causal,
                ir_type(t))
    return em.result(op, t, loc)


def _scale(a: Args, locs: Locs, head_size: object) -> float:
    """The scale of the scores: as given, else `1/sqrt(D)`."""
    if not _is_none(a["scale"]):
        return static_number(a["scale"], locs["scale"], "scale")
    if not isinstance(head_size, int) or head_size < 1:
        raise CompileError(locs["q"], "attention: the head size of q is not known at compile "
                                      "time; give scale=")
    return 1 / math.sqrt(head_size)


@function(Signature.of("rope", "x", "positions", ("theta", 10000.0)))
def emit_rope(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Rotary position embedding of `[N, H, T, D]` (Llama's rotate-half convention)."""
    x = tensor_arg(em, a["x"], locs["x"])
    if not is_float_dtype(x.type.dtype):
        raise CompileError(locs["x"], f"rope needs a floating-point tensor, got {x.type}")
    positions = tensor_arg(em, a["positions"], locs["positions"])
    if category(positions.type.dtype) != 1:
        raise CompileError(locs["positions"], f"rope needs integer positions, got "
                                              f"{positions.type}")
    theta = static_number(a["theta"] or Static(10000.0), locs["theta"], "theta")
    if theta <= 0:
        raise CompileError(locs["theta"], f"rope: theta must be positive, got {theta:g}")
    xs = ranked(x.type, locs["x"], "rope")
    ps = ranked(positions.type, locs["positions"], "rope")
    shape_rule(loc, "rope", lambda: rope_shape(xs, ps))
    return em.result(RopeOp(x.ssa, positions.ssa, theta), x.type, loc)


@function(Signature.of("gelu", "x", ("approximate", "none")))
def emit_gelu(em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """`gelu(x)`, exact (erf) or in PyTorch's tanh approximation."""
    how = a["approximate"] or Static("none")
    if not (isinstance(how, Static) and how.value in GELU_APPROXIMATIONS):
        raise CompileError(locs["approximate"], 'gelu: approximate must be "none" or "tanh", '
                                                f"got {describe(how)}")
    x = required(a, "x")
    if how.value == "none":
        return emit_unary(em, "gelu", x, loc)
    xt = tensor_arg(em, x, locs["x"])
    t = TensorT(xt.type.dtype if is_float_dtype(xt.type.dtype) else "f32", xt.type.shape)
    return em.result(GeluTanhOp(em.tensor(xt, loc, t.dtype).ssa, ir_type(t)), t, loc)
