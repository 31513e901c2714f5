"""The Triton printer of `kernel.pointwise`: one program per BLOCK output elements."""

from __future__ import annotations

from mlang.backends.triton.kernels import (
    IndexedPrinter, KernelSource, decompose_index, static_shape, strided_offsets,
)
from mlang.dialects.kernel import PointwiseKernelOp


class PointwisePrinter(IndexedPrinter):
    """One program per BLOCK elements of the output, indices decomposed per dimension."""

    op: PointwiseKernelOp

    def print(self) -> KernelSource:
        """The kernel's jit function and wrapper."""
        shape = self.op.iteration_shape(self.body)
        rank = max(len(shape), 1)
        self.wrapper_prologue()
        inputs = self.body.device_inputs()
        outputs = self.device_outputs()
        h = self.host.lines
        shapes = ", ".join(f"{self.host.use(v)}.shape" for v in inputs)
        h.append(f"shape = launch.broadcast_shape([{shapes}], {static_shape(shape)})")
        h.append("space = shape if shape else (1,)")
        buffers = {}
        for i, out in enumerate(self.body.outputs):
            if out in outputs:
                buffers[i] = self.allocate(out, i, "shape")
        self.index = [f"i{d}" for d in range(rank)]
        t = self.tile
        t.line("offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)")
        t.line("mask = offs < numel")
        sizes = [f"size{d}" for d in range(1, rank)]
        decompose_index(t, "offs", sizes, self.index)
        self.sig.ints += ["numel", *sizes]
        stride_args: list[str] = []
        for v in inputs:
            pointer = self.input_pointer(v)
            strides = [f"{pointer}_st{d}" for d in range(rank)]
            self.sig.ints += strides
            stride_args.append(f"*launch.strides({self.host.use(v)}, space)")
            self.load(v, strided_offsets(list(zip(self.index, strides))), "mask")
        self.emit_device(self.body.device)
        out_args = []
        for i, buffer in buffers.items():
            pointer = f"out{i}"
            self.sig.pointers.append(pointer)
            strides = [f"{pointer}_st{d}" for d in range(rank)]
            self.sig.ints += strides
            stride_args.append(f"*launch.strides({buffer}.kernel, space)")
            out_args.append(f"{buffer}.kernel")
            root = self.body.outputs[i].root
            self.store(pointer, root, strided_offsets(list(zip(self.index, strides))), "mask")
        self.sig.constexprs.append("BLOCK")
        ins = [self.host.use(v) for v in inputs]
        h.append("n = launch.numel(space)")
        args = [*ins, *out_args, "n", "*space[1:]", *stride_args]
        self.launch("n > 0", "(triton.cdiv(n, BLOCK),)", args, "space")
        self.returns(buffers)
        return self.source()
