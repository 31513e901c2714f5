"""The Triton printer of `kernel.reduction`: BLOCK_R whole rows per program."""

from __future__ import annotations

import math

from xdsl.dialects.builtin import IntegerType
from xdsl.ir import Attribute, Operation, SSAValue

from mlang.backends.triton.device import constant, element
from mlang.backends.triton.kernels import (
    IndexedPrinter, KernelSource, decompose_index, static_shape, strided_offsets,
)
from mlang.dialects.kernel import ReductionKernelOp
from mlang.dialects.kernel.ops import KERNEL_REDUCTIONS, row_levels
from mlang.dialects.tensorops import ArgmaxOp, ReduceMaxOp, ReduceMeanOp, ReduceMinOp


class ReductionPrinter(IndexedPrinter):
    """BLOCK_R rows per program, each row whole in BLOCK_C columns."""

    op: ReductionKernelOp

    def print(self) -> KernelSource:
        """The kernel's jit function and wrapper."""
        body = self.body
        shape = self.op.iteration_shape(body)
        levels = row_levels(self.op, body)
        lead = len(shape) - 1
        self.wrapper_prologue()
        inputs = body.device_inputs()
        outputs = self.device_outputs()
        h = self.host.lines
        shapes = ", ".join(f"{self.host.use(v)}.shape" for v in inputs)
        h.append(f"shape = launch.broadcast_shape([{shapes}], {static_shape(shape)})")
        h.append("lead = shape[:-1] if shape[:-1] else (1,)")
        h.append("rows, cols = launch.numel(shape[:-1]), shape[-1]")
        buffers = {}
        for i, out in enumerate(body.outputs):
            if out in outputs:
                level = levels.get(out.root, "full")
                buffer_shape = "shape" if level == "full" else (
                    "shape[:-1] + (1,)" if level == "row" else "shape[:-1]")
                buffers[i] = self.allocate(out, i, buffer_shape)
        t = self.tile
        t.line("r = tl.program_id(0) * BLOCK_R + tl.arange(0, BLOCK_R)[:, None]")
        t.line("c = tl.arange(0, BLOCK_C)[None, :]")
        t.line("rmask = r < rows")
        t.line("cmask = c < cols")
        t.line("mask = rmask & cmask")
        nlead = max(lead, 1)
        index = [f"l{d}" for d in range(nlead)]
        self.index = [f"{i}" for i in index[:lead]] + ["c"]
        sizes = [f"size{d}" for d in range(1, nlead)]
        decompose_index(t, "r", sizes, index)
        self.sig.ints += ["rows", "cols", *sizes]
        stride_args: list[str] = []
        for v in inputs:
            pointer = self.input_pointer(v)
            strides = [f"{pointer}_st{d}" for d in range(nlead + 1)]
            self.sig.ints += strides
            stride_args.append(f"*launch.strides({self.host.use(v)}, lead + shape[-1:])")
            terms = list(zip(index, strides))
            if levels.get(v) in ("row", "scalar"):
                self.load(v, strided_offsets(terms), "rmask")
            else:
                self.load(v, strided_offsets([*terms, ("c", strides[-1])]), "mask")
        for op in body.device:
            if isinstance(op, ArgmaxOp):
                self._argmax(op, levels)
            elif isinstance(op, KERNEL_REDUCTIONS):
                self._reduce(op, levels)
            else:
                self.device.emit(op, self.tile)
        out_args = []
        for i, buffer in buffers.items():
            pointer = f"out{i}"
            self.sig.pointers.append(pointer)
            root = body.outputs[i].root
            full = levels.get(root) == "full"
            strides = [f"{pointer}_st{d}" for d in range(nlead + (1 if full else 0))]
            self.sig.ints += strides
            view = f"{buffer}.kernel" if full else f"{buffer}.kernel.reshape(lead + (1,))"
            target = "lead + shape[-1:]" if full else "lead + (1,)"
            stride_args.append(f"*launch.strides({view}, {target})[:{len(strides)}]")
            out_args.append(f"{buffer}.kernel")
            terms = list(zip(index, strides))
            if full:
                self.store(pointer, root, strided_offsets([*terms, ("c", strides[-1])]), "mask")
            else:
                self.store(pointer, root, strided_offsets(terms), "rmask")
        self.sig.constexprs += ["BLOCK_R", "BLOCK_C"]
        ins = [self.host.use(v) for v in inputs]
        bc = self.block_sizes.pop("BLOCK_C")
        args = [*ins, *out_args, "rows", "cols", "*lead[1:]", *stride_args]
        self.launch("rows > 0", "(triton.cdiv(rows, BLOCK_R),)", args, "shape",
                    {"BLOCK_C": f"launch.row_block(cols, {bc})"})
        self.returns(buffers)
        return self.source()

    def _reduce(self, op: Operation, levels: dict[SSAValue, str]) -> None:
        """Prints one reduction over the columns (a row value reduces to itself)."""
        x = self.tile.use(op.operands[0])
        t = element(op.results[0])
        if levels.get(op.operands[0]) != "full":
            self.tile.names[op.results[0]] = x
            return
        if isinstance(op, ReduceMaxOp):
            expr = f"tl.max(tl.where(cmask, {x}, {_reduce_identity(op, t)}), axis=1)[:, None]"
        elif isinstance(op, ReduceMinOp):
            expr = f"tl.min(tl.where(cmask, {x}, {_reduce_identity(op, t)}), axis=1)[:, None]"
        else:
            expr = f"tl.sum(tl.where(cmask, {x}, {_reduce_identity(op, t)}), axis=1)[:, None]"
            if isinstance(op, ReduceMeanOp):
                expr = f"({expr} / cols)"
        self.tile.bind(op.results[0], expr, "red")


    def _argmax(self, op: ArgmaxOp, levels: dict[SSAValue, str]) -> None:
        """Prints an argmax over the columns as torch computes it: the first largest
        element, or the first NaN (NaN counts as the largest); a row value's is 0."""
        t, x = self.tile, self.tile.use(op.input)
        if levels.get(op.input) != "full":
            t.bind(op.result, f"tl.zeros_like({x}).to(tl.int64)", "arg")
            return
        kind = element(op.input)
        low = constant(_extreme(kind, lowest=True), kind)
        best = t.name("arg")
        t.line(f"{best} = tl.argmax(tl.where(cmask, {x}, {low}), axis=1)")
        if not isinstance(kind, IntegerType):
            nan = t.name("nan")
            t.line(f"{nan} = (({x} != {x}) & cmask).to(tl.int32)")
            t.line(f"{best} = tl.where(tl.max({nan}, axis=1) > 0, "
                   f"tl.argmax({nan}, axis=1), {best})")
        t.bind(op.result, f"{best}[:, None].to(tl.int64)", "arg")


def _reduce_identity(op: Operation, t: Attribute) -> str:
    """The value masked-off columns take in a row reduction of elements of type `t`: the
    lowest (max), highest (min) or zero (sum), so that it never changes the result."""
    if isinstance(op, (ReduceMaxOp, ReduceMinOp)):
        return constant(_extreme(t, lowest=isinstance(op, ReduceMaxOp)), t)
    return constant(0, t)


def _extreme(t: Attribute, lowest: bool) -> int | float:
    """The lowest or highest value of element type `t` (infinite for floats)."""
    if not isinstance(t, IntegerType):
        return -math.inf if lowest else math.inf
    if t.width.data == 1:
        return 0 if lowest else 1
    bound: int = 2 ** (t.width.data - 1)
    return -bound if lowest else bound - 1
