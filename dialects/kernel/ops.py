"""The kernel ops: groups of tensorops that run as one kernel, each with its body as IR.

Every kernel op takes its inputs as operands, holds a single-block region whose
arguments stand for them, and ends the region with `kernel.yield` of its results:

    %y = kernel.pointwise(%x, %b) block_sizes array<i64: 1024> :
        (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32> {
    ^bb0(%a: tensor<?x8xf32>, %c: tensor<8xf32>):
      %s = tensorops.add %a, %c : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
      %r = tensorops.maximum %s, %zero : ...
      kernel.yield %r : tensor<?x8xf32>
    }

Bodies are isolated from above and read through `body.split_body` (host prologue,
device ops, epilogue views); each op's verifier checks that its device ops have the
form its code generators expect. `block_sizes` is set by `choose-block-sizes`; its
entries are, by kind: pointwise `[BLOCK]`, reduction `[BLOCK_R, BLOCK_C]`, matmul
`[BLOCK_M, BLOCK_N, BLOCK_K]`, attention `[BLOCK_M, BLOCK_N, BLOCK_Z]` (queries, keys,
and batch entries per program).
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from xdsl.dialects.builtin import DenseArrayBase, IntegerType, TensorType, UnitAttr, i64
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation, irdl_op_definition, lazy_traits_def, opt_prop_def, region_def,
    traits_def, var_operand_def, var_result_def,
)
from xdsl.traits import HasParent, IsolatedFromAbove, IsTerminator, Pure
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.kernel.body import (
    ELEMENTWISE_OPS, Body, Role, is_splat, split_body, value_shape,
)
from mlang.dialects.tensorops import (
    ArgmaxOp, BroadcastToOp, ConstantOp, IotaOp, MatmulOp, ReduceMaxOp, ReduceMeanOp, ReduceMinOp,
    ReduceSumOp, ReductionOp, TensorOp,
)
from mlang.dialects.tensorops.base import Sizes
from mlang.support.shapes import Shape, dims_conflict, fmt_shape

if TYPE_CHECKING:
    from mlang.dialects.kernel.attention import AttentionPattern

ROW_REDUCTIONS = (ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp)
"""Value reductions a `kernel.reduction` computes over the last axis."""
KERNEL_REDUCTIONS = (*ROW_REDUCTIONS, ArgmaxOp)
"""Every reduction a `kernel.reduction` computes over the last axis: value reductions and
`argmax` (an index per row; fusion passes move and fuse only value reductions)."""


def reduced_axes(op: ReductionOp | ArgmaxOp) -> list[int]:
    """The axes a reduction of a `kernel.reduction` reduces."""
    return [op.axis.value.data] if isinstance(op, ArgmaxOp) else list(op.axes.get_values())
POINTWISE_DEVICE_OPS = (*ELEMENTWISE_OPS, BroadcastToOp, ConstantOp, IotaOp)
"""Device ops of a pointwise computation (constants only as splat literals)."""

KERNEL_FORMAT = (
    "`(` $inputs `)` (`block_sizes` $block_sizes^)? (`autotune` $autotune^)? attr-dict "
    "`:` functional-type($inputs, $outputs) $body"
)


def fits(shape: Shape, target: Shape) -> bool:
    """Whether `shape` broadcasts to `target` without changing it (`?` may match)."""
    if len(shape) > len(target):
        return False
    aligned = zip(shape[::-1], target[::-1])
    return all(a == 1 or not dims_conflict(a, t) for a, t in aligned)


class KernelOp(IRDLOperation, ABC):
    """A kernel: inputs, a body of tensorops over them, and the yielded results."""

    inputs = var_operand_def(TensorType)
    outputs = var_result_def(TensorType)
    body = region_def("single_block")
    traits = traits_def(Pure(), IsolatedFromAbove())

    KIND: ClassVar[str] = "kernel"
    """The kernel's kind, as reports and generated names call it."""

    def __init__(
        self,
        inputs: Sequence[SSAValue],
        result_types: Sequence[Attribute],
        body: Region,
        properties: dict[str, Attribute] | None = None,
    ):
        super().__init__(
            operands=[inputs], result_types=[result_types], regions=[body],
            properties=properties or {},
        )

    @property
    def block(self) -> Block:
        """The body's one block."""
        return self.body.block

    def split(self) -> Body:
        """The body split into host prologue, device ops and epilogue views."""
        return split_body(self.block)

    def verify_(self) -> None:
        block = self.block
        if [a.type for a in block.args] != [v.type for v in self.inputs]:
            raise VerifyException(f"{self.name}: block argument types must match the inputs")
        last = block.last_op
        if not isinstance(last, YieldOp):
            raise VerifyException(f"{self.name}: the body must end with kernel.yield")
        if [v.type for v in last.operands] != [r.type for r in self.outputs]:
            raise VerifyException(f"{self.name}: yielded types must match the result types")
        for op in block.ops:
            if op is not last and not isinstance(op, TensorOp):
                raise self._error(f"the body may only hold tensorops, not {op.name}")
        self.verify_body(self.split())

    def verify_body(self, body: Body) -> None:
        """Checks the device ops against what this kind of kernel computes."""

    def _error(self, message: str) -> VerifyException:
        """A verification error naming the op."""
        return VerifyException(f"{self.name}: {message}")

    def _check_device_ops(self, ops: Sequence[Operation], allowed: tuple[type, ...]) -> None:
        """Every op in `ops` must be of an allowed kind; constants must be splats."""
        for op in ops:
            dense = isinstance(op, ConstantOp) and not is_splat(op.result)
            if not isinstance(op, allowed) or dense:
                raise self._error(f"'{op.name}' cannot run inside a {self.KIND} kernel")

    def _check_stored(self, values: Sequence[SSAValue], shapes: Sequence[Shape]) -> None:
        """Every stored value must have one of the shapes the kernel writes."""
        for v in values:
            if not any(same_shape(value_shape(v), s) for s in shapes):
                raise self._error(
                    f"a stored value of shape {fmt_shape(value_shape(v))} is not of the "
                    f"kernel's shape {fmt_shape(shapes[0])}"
                )

    def _check_fit(self, values: Sequence[SSAValue], shape: Shape, what: str) -> None:
        """Every value must broadcast to `shape`."""
        for v in values:
            if not fits(value_shape(v), shape):
                raise self._error(
                    f"a value of shape {fmt_shape(value_shape(v))} does not broadcast to the "
                    f"{what} shape {fmt_shape(shape)}"
                )


def same_shape(a: Shape, b: Shape) -> bool:
    """Whether two shapes may be equal (`?` matches any size)."""
    return len(a) == len(b) and not any(dims_conflict(x, y) for x, y in zip(a, b))


class TiledKernelOp(KernelOp, ABC):
    """A kernel that Triton runs over tiles, with block sizes and an autotune flag."""

    block_sizes = opt_prop_def(DenseArrayBase.constr(i64))
    autotune = opt_prop_def(UnitAttr)
    assembly_format = KERNEL_FORMAT

    BLOCK_SIZE_NAMES: ClassVar[tuple[str, ...]] = ()
    """What the entries of `block_sizes` stand for."""

    def sizes(self) -> dict[str, int] | None:
        """The block sizes by name, or None before `choose-block-sizes`."""
        if self.block_sizes is None:
            return None
        return dict(zip(self.BLOCK_SIZE_NAMES, self.block_sizes.get_values()))

    def verify_(self) -> None:
        super().verify_()
        if self.block_sizes is None:
            return
        values = self.block_sizes.get_values()
        if len(values) != len(self.BLOCK_SIZE_NAMES) or any(v < 1 or v & (v - 1) for v in values):
            raise self._error(
                f"block_sizes must be {len(self.BLOCK_SIZE_NAMES)} powers of two "
                f"({', '.join(self.BLOCK_SIZE_NAMES)})"
            )


def _device_roots(op: KernelOp, body: Body) -> list[SSAValue]:
    """The device values the kernel stores (roots of its outputs)."""
    return [out.root for out in body.outputs if body.roles[out.root] is Role.DEVICE]


@irdl_op_definition
class PointwiseKernelOp(TiledKernelOp):
    """Elementwise ops (with broadcasting) fused into one kernel over the output shape."""

    name = "kernel.pointwise"
    KIND: ClassVar[str] = "pointwise"
    BLOCK_SIZE_NAMES: ClassVar[tuple[str, ...]] = ("BLOCK",)

    def iteration_shape(self, body: Body | None = None) -> Sizes:
        """The shape every device value broadcasts to: that of the stored values."""
        body = body or self.split()
        return value_shape(_device_roots(self, body)[0])

    def verify_body(self, body: Body) -> None:
        self._check_device_ops(body.device, POINTWISE_DEVICE_OPS)
        roots = _device_roots(self, body)
        if not roots:
            raise self._error("computes nothing in the kernel")
        shape = value_shape(roots[0])
        self._check_stored(roots, [shape])
        self._check_fit([v for op in body.device for v in (*op.operands, *op.results)],
                        shape, "iteration")


@irdl_op_definition
class ReductionKernelOp(TiledKernelOp):
    """Row-wise reductions over the last axis with their elementwise prologue and
    epilogue (softmax, layer and RMS norm, log-softmax, means and sums)."""

    name = "kernel.reduction"
    KIND: ClassVar[str] = "reduction"
    BLOCK_SIZE_NAMES: ClassVar[tuple[str, ...]] = ("BLOCK_R", "BLOCK_C")

    def reductions(self, body: Body | None = None) -> list[ReductionOp | ArgmaxOp]:
        """The reduction ops of the body, in order."""
        body = body or self.split()
        return [op for op in body.device if isinstance(op, KERNEL_REDUCTIONS)]

    def iteration_shape(self, body: Body | None = None) -> Sizes:
        """`[*rows, C]`: the shape of what the reductions reduce."""
        return value_shape(self.reductions(body)[0].input)

    def verify_body(self, body: Body) -> None:
        self._check_device_ops(body.device, (*POINTWISE_DEVICE_OPS, *KERNEL_REDUCTIONS))
        reductions = self.reductions(body)
        if not reductions:
            raise self._error("has no reduction")
        shape = value_shape(reductions[0].input)
        for op in reductions:
            rank = len(value_shape(op.input))
            if reduced_axes(op) != [rank - 1]:
                raise self._error("reductions must reduce the last axis only")
            self._check_fit([op.input], shape, "iteration")
            if len(value_shape(op.input)) != len(shape):
                raise self._error("every reduction must reduce a tensor of the same rank")
        row_levels(self, body)
        self._check_stored(_device_roots(self, body), [shape, (*shape[:-1], 1), shape[:-1]])


def row_levels(op: ReductionKernelOp, body: Body) -> dict[SSAValue, str]:
    """The level of each device value, and of each host value device ops read, in a
    reduction kernel: `full` (`[*rows, C]`), `row` (`[*rows, 1]`: one value per row),
    `flat` (`[*rows]`, what a reduction without keepdim leaves) or `scalar`."""
    shape = op.iteration_shape(body)
    row_shape = (*shape[:-1], 1)
    levels: dict[SSAValue, str] = {}

    def level(v: SSAValue) -> str:
        if v in levels:
            return levels[v]
        if is_splat(v) or not value_shape(v):
            return "scalar"
        s = value_shape(v)
        if s[-1] == 1 and shape[-1] != 1 and fits(s, row_shape):
            return "row"  # one value per row, read once per row
        if fits(s, shape):
            return "full"
        raise op._error(f"a value of shape {fmt_shape(s)} fits no row of {fmt_shape(shape)}")

    for d in body.device:
        for v in d.operands:
            if body.is_host(v) and not is_splat(v):
                levels[v] = level(v)
        if isinstance(d, KERNEL_REDUCTIONS):
            keep = d.keepdim is not None
            levels[d.results[0]] = "row" if keep else "flat"
            continue
        found = {level(v) for v in d.operands} - {"scalar"}
        if "flat" in found and found != {"flat"}:
            raise op._error(f"'{d.name}' mixes reduced rows without keepdim with full rows")
        levels[d.results[0]] = (
            "flat" if "flat" in found else "full" if "full" in found
            else "row" if "row" in found else "scalar"
        )
    return levels


@irdl_op_definition
class MatmulKernelOp(TiledKernelOp):
    """A tiled matrix product with a fused elementwise prologue on each operand (such as
    dequantize) and an elementwise epilogue (bias, activation, residual add)."""

    name = "kernel.matmul"
    KIND: ClassVar[str] = "matmul"
    BLOCK_SIZE_NAMES: ClassVar[tuple[str, ...]] = ("BLOCK_M", "BLOCK_N", "BLOCK_K")

    def product(self, body: Body | None = None) -> MatmulProduct:
        """The body's one matmul and the device ops before and after it."""
        return matmul_parts(self, body or self.split())

    def min_block_k(self) -> int:
        """The smallest BLOCK_K a GPU's `tl.dot` takes for these operands: 32 for int8
        (Hopper's integer wgmma needs K >= 32), else 16."""
        mm = self.product().matmul
        types = [v.type.element_type for v in (mm.lhs, mm.rhs) if isinstance(v.type, TensorType)]
        return 32 if any(isinstance(t, IntegerType) for t in types) else 16

    def verify_body(self, body: Body) -> None:
        self._check_device_ops(body.device, (*POINTWISE_DEVICE_OPS, MatmulOp))
        parts = matmul_parts(self, body)
        mm = parts.matmul
        types = [value.type.element_type for value in (mm.lhs, mm.rhs)
                 if isinstance(value.type, TensorType)]
        if any(isinstance(t, IntegerType) and t.width.data != 8 for t in types):
            # tl.dot multiplies integers exactly only as int8 (into int32); a float product
            # would round i32/i64 results, so those are left to PyTorch (kernel.extern)
            raise self._error(f"integer products must be int8, not {', '.join(map(str, types))}")
        self._check_fit([v for d in parts.lhs for v in d.operands], value_shape(mm.lhs), "lhs")
        self._check_fit([v for d in parts.rhs for v in d.operands], value_shape(mm.rhs), "rhs")
        out = value_shape(mm.result)
        self._check_fit([v for d in parts.epilogue for v in d.operands], out, "result")
        self._check_stored(_device_roots(self, body), [out])


class MatmulProduct:
    """A matmul kernel's device ops: the lhs and rhs prologues, the product, the epilogue."""

    def __init__(self, lhs: list[Operation], rhs: list[Operation], matmul: MatmulOp,
                 epilogue: list[Operation]):
        self.lhs = lhs
        self.rhs = rhs
        self.matmul = matmul
        self.epilogue = epilogue


def _ancestors(value: SSAValue, body: Body) -> list[Operation]:
    """The device ops that `value` depends on, in body order."""
    found: set[Operation] = set()
    stack = [value]
    while stack:
        owner = stack.pop().owner
        if isinstance(owner, Operation) and body.roles.get(owner.results[0]) is Role.DEVICE \
                and owner not in found:
            found.add(owner)
            stack.extend(owner.operands)
    return [op for op in body.device if op in found]


def matmul_parts(op: KernelOp, body: Body) -> MatmulProduct:
    """Splits the device ops of a matmul kernel around its one product."""
    products = [d for d in body.device if isinstance(d, MatmulOp)]
    if len(products) != 1:
        raise op._error(f"must hold exactly one tensorops.matmul, found {len(products)}")
    mm = products[0]
    if min(len(value_shape(mm.lhs)), len(value_shape(mm.rhs))) < 2:
        raise op._error("matmul operands must have rank 2 or more")
    lhs, rhs = _ancestors(mm.lhs, body), _ancestors(mm.rhs, body)
    if set(lhs) & set(rhs):
        raise op._error("the lhs and rhs prologues must not share ops")
    before = {*lhs, *rhs, mm}
    epilogue = [d for d in body.device if d not in before]
    for d in epilogue:
        if any(v.owner in before and v.owner is not mm for v in d.operands):
            raise op._error(f"'{d.name}' after the product reads a prologue value")
        if mm not in _ancestors_ops(d, body):
            raise op._error(f"'{d.name}' is neither before nor after the product")
    return MatmulProduct(lhs, rhs, mm, epilogue)


def _ancestors_ops(op: Operation, body: Body) -> set[Operation]:
    """The device ops that `op` depends on, itself excluded."""
    found: set[Operation] = set()
    for v in op.operands:
        found.update(_ancestors(v, body))
    return found


@irdl_op_definition
class AttentionKernelOp(TiledKernelOp):
    """Scaled dot-product attention in one kernel: scores, scale, optional causal mask,
    softmax and the product with V, streamed over keys so scores never reach memory."""

    name = "kernel.attention"
    KIND: ClassVar[str] = "attention"
    BLOCK_SIZE_NAMES: ClassVar[tuple[str, ...]] = ("BLOCK_M", "BLOCK_N", "BLOCK_Z")

    def pattern(self, body: Body | None = None) -> AttentionPattern:
        """The matched attention computation."""
        from mlang.dialects.kernel.attention import match_attention

        body = body or self.split()
        pattern = match_attention(body)
        if isinstance(pattern, str):
            raise self._error(pattern)
        return pattern

    def verify_body(self, body: Body) -> None:
        self.pattern(body)


@irdl_op_definition
class ExternKernelOp(KernelOp):
    """One tensor op handed to PyTorch (ops without a Triton template)."""

    name = "kernel.extern"
    KIND: ClassVar[str] = "extern"
    assembly_format = "`(` $inputs `)` attr-dict `:` functional-type($inputs, $outputs) $body"

    def payload(self) -> Operation:
        """The one op the kernel computes."""
        # Annotated: xDSL leaves `BlockOps.__iter__` untyped, so its items would be Any.
        ops: list[Operation] = [
            op for op in self.block.ops if not isinstance(op, (YieldOp, ConstantOp))
        ]
        if not ops:
            ops = [op for op in self.block.ops if isinstance(op, ConstantOp)]
        return ops[-1]

    def verify_body(self, body: Body) -> None:
        ops = [op for op in self.block.ops if not isinstance(op, YieldOp)]
        main = [op for op in ops if not isinstance(op, ConstantOp)]
        if len(main) > 1 or not ops:
            raise self._error("must hold exactly one op (besides constants it reads)")
        payload = self.payload()
        last = self.block.last_op
        assert last is not None
        if list(last.operands) != list(payload.results):
            raise self._error("must yield the results of its op")


@irdl_op_definition
class YieldOp(IRDLOperation):
    """Ends a kernel body, giving the kernel's results."""

    name = "kernel.yield"
    values = var_operand_def(TensorType)
    traits = lazy_traits_def(
        lambda: (IsTerminator(), Pure(), HasParent(*KERNEL_OPS))
    )
    assembly_format = "($values^ `:` type($values))? attr-dict"

    def __init__(self, values: Sequence[SSAValue]):
        super().__init__(operands=[values])


KERNEL_OPS: tuple[type[KernelOp], ...] = (
    PointwiseKernelOp, ReductionKernelOp, MatmulKernelOp, AttentionKernelOp, ExternKernelOp,
)
