"""The Triton printer of `kernel.matmul`: output tiles, a loop over K, an epilogue."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.ir import Operation, SSAValue

from mlang.backends.triton.device import TL_DTYPES, element
from mlang.backends.triton.kernels import (
    KernelPrinter, KernelSource, decompose_index, static_shape, strided_offsets,
)
from mlang.dialects.kernel import Body, MatmulKernelOp, Role
from mlang.dialects.kernel.body import value_shape
from mlang.dialects.tensorops import IotaOp


class MatmulPrinter(KernelPrinter):
    """BLOCK_M x BLOCK_N output tiles, looping over K in BLOCK_K steps. Batch dimensions
    are folded into the rows when nothing on the rhs side varies over them (a linear
    layer on `[N, T, in]`: N * T rows), else they are grid axis 1."""

    op: MatmulKernelOp

    def print(self) -> KernelSource:
        """The kernel's jit function and wrapper."""
        parts = self.op.product(self.body)
        mm = parts.matmul
        self.nbatch = len(value_shape(mm.result)) - 2
        a_inputs = _host_reads(parts.lhs, self.body) or [mm.lhs]
        b_inputs = _host_reads(parts.rhs, self.body) or [mm.rhs]
        e_inputs = _host_reads(parts.epilogue, self.body)
        self.rows_mode = all(len(value_shape(v)) <= 2 for v in b_inputs)
        self.wrapper_prologue()
        self.stride_args: list[str] = []
        h, t = self.host.lines, self.tile
        for side, value, inputs in (("a", mm.lhs, a_inputs), ("b", mm.rhs, b_inputs)):
            shapes = ", ".join(f"{self.host.use(v)}.shape" for v in inputs)
            static = static_shape(value_shape(value))
            h.append(f"{side}_shape = launch.broadcast_shape([{shapes}], {static})")
        h.append("a_space, b_space, shape = launch.matmul_spaces(a_shape, b_shape)")
        buffers = {i: self.allocate(out, i, "shape") for i, out in enumerate(self.body.outputs)
                   if out in self.device_outputs()}
        t.line("pid = tl.program_id(0)")
        t.line("grid_n = tl.cdiv(N, BLOCK_N)")
        t.line("rm = (pid // grid_n) * BLOCK_M + tl.arange(0, BLOCK_M)")
        t.line("rn = (pid % grid_n) * BLOCK_N + tl.arange(0, BLOCK_N)")
        self._index_rows_and_batch()
        a_mask = "(rm < M)[:, None] & (rk < K)[None, :]"
        b_mask = "(rk < K)[:, None] & (rn < N)[None, :]"
        o_mask = "(rm < M)[:, None] & (rn < N)[None, :]"
        outer, t.lines = t.lines, []
        t.line("rk = k0 + tl.arange(0, BLOCK_K)")
        for v in a_inputs:
            self.load(v, self._offsets(v, "a_space", "rk[None, :]"), a_mask)
        self.emit_device(parts.lhs)
        a = self._masked(mm.lhs, parts.lhs, a_mask)
        for v in b_inputs:
            self.load(v, self._offsets(v, "b_space", "rn[None, :]", "rk[:, None]"), b_mask)
        self.emit_device(parts.rhs)
        b = self._masked(mm.rhs, parts.rhs, b_mask)
        int8 = str(element(mm.lhs)) == "i8"  # int8 x int8: exact int32 accumulation
        half = _half_operands(mm.lhs, mm.rhs)
        # float64 products accumulate in float64, as torch computes them; the rest in float32
        acc_type = "tl.int32" if int8 else (
            "tl.float64" if str(element(mm.result)) == "f64" else "tl.float32")
        if int8:
            t.line(f"acc += tl.dot({a}, {b}, out_dtype=tl.int32)")
        elif half is not None:
            # f16 operands (exact: loaded from f16 tensors, or a prologue's result rounded
            # as an unfused one would store it) for the tensor cores; float32 accumulation.
            t.line(f"acc += tl.dot({a}.to({half}), {b}.to({half}), out_dtype=tl.float32)")
        else:
            out = ", out_dtype=tl.float64" if acc_type == "tl.float64" else ""
            t.line(f"acc += tl.dot({a}.to({acc_type}), {b}.to({acc_type}), "
                   f'input_precision="ieee"{out})')
        loop, t.lines = t.lines, outer
        t.line(f"acc = tl.zeros((BLOCK_M, BLOCK_N), dtype={acc_type})")
        t.line("for k0 in range(0, K, BLOCK_K):")
        t.lines += [f"    {line}" for line in loop]
        t.names[mm.result] = "acc"
        for v in e_inputs:
            self.load(v, self._offsets(v, "shape", "rn[None, :]"), o_mask)
        self.emit_device(parts.epilogue)
        for i, buffer in buffers.items():
            pointer = f"out{i}"
            self.sig.pointers.append(pointer)
            offsets = self._offsets(None, "shape", "rn[None, :]", pointer=pointer,
                                    tensor=f"{buffer}.kernel")
            self.store(pointer, self.body.outputs[i].root, offsets, o_mask)
        self.sig.constexprs += ["BLOCK_M", "BLOCK_N", "BLOCK_K"]
        ins = [self.host.use(v) for v in self.pointer_of]
        outs = [f"{b}.kernel" for b in buffers.values()]
        h.append("M, N, K = rows, shape[-1], a_shape[-1]")
        args = [*ins, *outs, "M", "N", "K", "*row_sizes", "*z_sizes", *self.stride_args]
        grid = "(triton.cdiv(M, BLOCK_M) * triton.cdiv(N, BLOCK_N), z)"
        self.launch("M > 0 and N > 0 and z > 0", grid, args, "(M, N, K, z)")
        self.returns(buffers)
        return self.source()

    def iota(self, op: IotaOp) -> str:
        rank = len(value_shape(op.result))
        dim = self.nbatch + 2 - rank + op.axis.value.data
        if dim == self.nbatch + 1:
            return "rn[None, :]"
        if self.rows_mode:
            return f"{self.rows[dim]}[:, None]"
        return "rm[:, None]" if dim == self.nbatch else self.zs[dim]

    def _index_rows_and_batch(self) -> None:
        """Prints the row indices (`m0..`, from `rm`) and batch indices (`z0..`, from grid
        axis 1), and the wrapper's matching sizes."""
        h, t, nbatch = self.host.lines, self.tile, self.nbatch
        if self.rows_mode:
            self.rows = [f"m{d}" for d in range(nbatch + 1)]
            self.zs: list[str] = []
            sizes = [f"size{d}" for d in range(1, nbatch + 1)]
            decompose_index(t, "rm", sizes, self.rows)
            h.append("rows, z = launch.numel(shape[:-1]), 1")
            h.append("row_sizes, z_sizes = shape[1:-1], ()")
        else:
            self.rows = ["rm"]
            self.zs = [f"z{d}" for d in range(nbatch)]
            sizes = [f"zsize{d}" for d in range(1, nbatch)]
            decompose_index(t, "tl.program_id(1)", sizes, self.zs)
            h.append(f"rows, z = shape[-2], launch.numel(shape[:{nbatch}])")
            h.append(f"row_sizes, z_sizes = (), shape[1:{nbatch}]")
        self.sig.ints += ["M", "N", "K", *sizes]

    def _offsets(self, value: SSAValue | None, space: str, last: str, inner: str = "",
                 pointer: str = "", tensor: str = "") -> str:
        """The offsets of a tile of `value` (or of an output) broadcast into `space`
        (`a_space` `[*B, M, K]`, `b_space` `[*B, K, N]`, `shape` `[*B, M, N]`), declaring
        its strides: batch indices, then rows (or `inner`, the K index of the rhs), then
        `last` along the last dimension."""
        if value is not None:
            pointer, tensor = self.input_pointer(value), self.host.use(value)
        nbatch = self.nbatch
        st = [f"{pointer}_{space[0]}st{d}" for d in range(nbatch + 2)]
        self.sig.ints += st
        self.stride_args.append(f"*launch.strides({tensor}, {space})")
        terms = list(zip(self.zs, st[:nbatch]))
        if inner:
            terms.append((inner, st[-2]))
        else:
            row_strides = st[nbatch + 1 - len(self.rows):]
            terms += [(f"{r}[:, None]", s) for r, s in zip(self.rows, row_strides)]
        return strided_offsets([*terms, (last, st[-1])])

    def _masked(self, operand: SSAValue, prologue: Sequence[Operation], mask: str) -> str:
        """An operand tile, zeroed outside the matrix when a prologue computed it."""
        name = self.tile.use(operand)
        if prologue:
            self.tile.line(f"{name} = tl.where({mask}, {name}, tl.zeros_like({name}))")
        return name


def _half_operands(lhs: SSAValue, rhs: SSAValue) -> str | None:
    """The Triton type of two f16 operands, else None. bf16 operands multiply as float32:
    Triton 3.9's interpreter, which the tests run kernels in, gets bf16 dots wrong."""
    kind = str(element(lhs))
    return TL_DTYPES[kind] if kind == "f16" and str(element(rhs)) == kind else None


def _host_reads(ops: Sequence[Operation], body: Body) -> list[SSAValue]:
    """The host values (not splats) that `ops` read, in order."""
    from mlang.dialects.kernel.body import is_splat

    found: dict[SSAValue, None] = {}
    for op in ops:
        for v in op.operands:
            if body.roles.get(v) is Role.HOST and not is_splat(v):
                found.setdefault(v)
    return list(found)
