"""The `tensorops` dialect: a small, closed set of primitive operations on builtin
ranked tensors (`tensor<?x64xf32>`), with NumPy broadcasting. Every model op lowers to
these; the backends generate code from them.

Element types are f16, bf16, f32, f64, i1, i8, i32 and i64. Each op infers its result
type from its operands and static parameters (`infer_result_type`), so builders read
`AddOp(a, b)`, and the verifier checks the declared type against the inferred one.
Parameters stay `model.get_param` ops. `dropout` and `random` draw random numbers:
`RANDOM_OPS` are never merged, and kept when unused; so is `batch_norm`, which
updates its running statistics while training (`EFFECT_OPS`).
"""

from xdsl.ir import Dialect

from mlang.dialects.tensorops.base import TensorOp
from mlang.dialects.tensorops.constant import ConstantOp, IotaOp, RandomOp
from mlang.dialects.tensorops.contraction import Conv2dOp, MatmulOp
from mlang.dialects.tensorops.elementwise import (
    QMAX, AbsOp, AddOp, AndOp, BinaryOp, CastOp, CompareOp, CosOp, DequantizeOp, DivOp, DropoutOp,
    EqOp, ErfOp, ExpOp, GeOp, GtOp, LeOp, LogOp, LtOp, MaximumOp, MinimumOp, MulOp, NegOp,
    NeOp, NotOp, OrOp, PowOp, QuantizeOp, RsqrtOp, SelectOp, SigmoidOp, SinOp, SqrtOp, SubOp,
    TanhOp, UnaryOp, channel_axis, is_row_scale,
)
from mlang.dialects.tensorops.indexing import CumsumOp, PadOp, TakeAlongOp, TopkOp
from mlang.dialects.tensorops.layout import (
    SLICE_END, BroadcastToOp, ConcatOp, GatherOp, ReshapeOp, ReshapeTailOp, SliceOp,
    TransposeOp,
)
from mlang.dialects.tensorops.normalization import BatchNormOp
from mlang.dialects.tensorops.reduction import (
    ArgmaxOp, AvgPool2dOp, MaxPool2dOp, Pool2dOp, ReduceMaxOp, ReduceMeanOp, ReduceMinOp,
    ReduceSumOp, ReductionOp,
)
from mlang.dialects.tensorops.sizes import (
    SIZED_OPS, BroadcastDynamicOp, FullDynamicOp, ReshapeDynamicOp, SizedOp, SliceDynamicOp,
)

UNARY_OPS = (
    ExpOp, LogOp, SqrtOp, RsqrtOp, SinOp, CosOp, TanhOp, ErfOp, SigmoidOp, NegOp, AbsOp, NotOp,
)
BINARY_OPS = (AddOp, SubOp, MulOp, DivOp, PowOp, MaximumOp, MinimumOp, AndOp, OrOp)
COMPARE_OPS = (EqOp, NeOp, LtOp, LeOp, GtOp, GeOp)
REDUCTION_OPS = (ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ArgmaxOp)
OTHER_OPS = (
    ConstantOp, IotaOp, RandomOp, SelectOp, CastOp, DropoutOp, QuantizeOp, DequantizeOp, MatmulOp,
    Conv2dOp, MaxPool2dOp, AvgPool2dOp, TransposeOp, ReshapeOp, ReshapeTailOp, BroadcastToOp,
    GatherOp, ConcatOp, SliceOp, BatchNormOp, CumsumOp, TopkOp, TakeAlongOp, PadOp,
)
ALL_OPS = UNARY_OPS + BINARY_OPS + COMPARE_OPS + REDUCTION_OPS + OTHER_OPS + SIZED_OPS
RANDOM_OPS = (DropoutOp, RandomOp)
EFFECT_OPS = (*RANDOM_OPS, BatchNormOp)
"""Ops never merged and kept when unused: random draws, and `batch_norm`'s state update."""

__all__ = [
    "ALL_OPS", "EFFECT_OPS", "QMAX", "RANDOM_OPS", "SIZED_OPS", "SLICE_END", "AbsOp", "AddOp",
    "AndOp", "ArgmaxOp", "AvgPool2dOp", "BatchNormOp", "BinaryOp", "BroadcastDynamicOp",
    "BroadcastToOp", "CastOp",
    "CompareOp", "ConcatOp", "ConstantOp", "Conv2dOp", "CosOp", "CumsumOp", "DequantizeOp", "DivOp",
    "DropoutOp", "EqOp", "ErfOp", "ExpOp", "FullDynamicOp", "GatherOp", "GeOp", "GtOp", "IotaOp",
    "LeOp", "LogOp", "LtOp", "MatmulOp", "MaxPool2dOp", "MaximumOp", "MinimumOp", "MulOp", "NeOp",
    "NegOp", "NotOp", "OrOp", "PadOp", "Pool2dOp", "PowOp", "QuantizeOp", "RandomOp", "ReduceMaxOp",
    "ReduceMeanOp", "ReduceMinOp", "ReduceSumOp", "ReductionOp", "ReshapeDynamicOp", "ReshapeOp",
    "ReshapeTailOp", "RsqrtOp", "SelectOp", "SigmoidOp", "SinOp", "SliceOp", "SizedOp",
    "SliceDynamicOp", "SqrtOp", "SubOp", "TakeAlongOp", "TanhOp", "TensorOp", "TensorOps", "TopkOp",
    "TransposeOp", "UnaryOp", "channel_axis", "is_row_scale",
]

TensorOps = Dialect("tensorops", list(ALL_OPS), [])
