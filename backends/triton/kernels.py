"""Printers of one kernel op each: a `@triton.jit` function and its host wrapper.

A printer reads the kernel's body through `split_body`: the wrapper computes the host
prologue with the torch printer (views, constants, concat) and allocates outputs through
`launch.OutputBuffer` (which applies output views); the jit function loads each input
the device ops read, with the strides of that input broadcast into the kernel's
iteration space, runs the device ops (`DeviceEmitter` for elementwise ones), and stores
the outputs. Every load and store is masked, so any shape works with any block size.

Wrappers take `(device, *inputs)` and return the kernel's results (a tuple if several).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from xdsl.dialects.builtin import DYNAMIC_INDEX, IntegerType, TensorType
from xdsl.ir import Attribute, Operation, SSAValue

from mlang.backends.torch.context import FunctionContext
from mlang.backends.torch.emitter import TORCH_DTYPES, TorchEmitter
from mlang.backends.triton.device import (
    CodegenError, DeviceEmitter, Tile, compute_type, element,
)
from mlang.dialects.kernel import Body, KernelOp, MatmulOp, PointwiseOp, ReductionOp, Role
from mlang.dialects.kernel.body import Output, value_shape
from mlang.dialects.kernel.ops import ROW_REDUCTIONS, row_levels
from mlang.dialects.tensorops import (
    ConcatOp, IotaOp, ReduceMaxOp, ReduceMeanOp, ReduceMinOp, ReshapeOp, ReshapeTailOp, TransposeOp,
)
from mlang.support.shapes import Shape


WRAPPER_NAMES = (
    "launch", "triton", "tl", "dl", "shape", "space", "lead", "rows", "cols", "n", "z",
    "batch", "a_shape", "b_shape", "a_space", "b_space", "row_sizes", "z_sizes", "M", "N",
    "K", "tq", "tk", "d", "dv", "run", "BLOCK", "BLOCK_R", "BLOCK_C", "BLOCK_M", "BLOCK_N",
    "BLOCK_K", "BLOCK_D", "BLOCK_DV", *(f"out{i}" for i in range(64)),
)
"""Names that wrappers use for themselves, which values must not shadow."""


@dataclass
class KernelSource:
    """The printed parts of one kernel."""

    wrapper_name: str
    jit: list[str]
    wrapper: list[str]


@dataclass
class Signature:
    """The parameters of a jit function, gathered while its body is printed."""

    pointers: list[str] = field(default_factory=list[str])
    ints: list[str] = field(default_factory=list[str])
    constexprs: list[str] = field(default_factory=list[str])

    def params(self) -> str:
        """The parameter list."""
        consts = [f"{c}: tl.constexpr" for c in self.constexprs]
        return ", ".join([*self.pointers, *self.ints, *consts])


def static_shape(shape: Shape) -> str:
    """A static shape as a Python tuple literal, unknown sizes as None."""
    return _tuple(["None" if d is None else str(d) for d in shape])


def _tuple(items: Sequence[object]) -> str:
    """A Python tuple literal."""
    text = [str(i) for i in items]
    return f"({text[0]},)" if len(text) == 1 else f"({', '.join(text)})"  # () when empty


def output_views(out: Output) -> str:
    """The `launch.View`s of an output, as a Python literal."""
    views = []
    for op in out.views:
        result = op.results[0].type
        assert isinstance(result, TensorType)
        sizes = [-1 if d == DYNAMIC_INDEX else d for d in result.get_shape()]
        if isinstance(op, TransposeOp):
            views.append(f'("permute", {_tuple(op.permutation.get_values())}, 0)')
        elif isinstance(op, ReshapeTailOp):
            start = op.start.value.data
            views.append(f'("reshape_tail", {_tuple(sizes[start:])}, {start})')
        elif isinstance(op, ReshapeOp):
            views.append(f'("reshape", {_tuple(sizes)}, 0)')
        else:
            raise CodegenError(f"the triton backend cannot write an output through '{op.name}'")
    return f"[{', '.join(views)}]"


class KernelPrinter:
    """What every kind shares: the wrapper's prologue, loads, stores and the launch."""

    def __init__(self, op: KernelOp, name: str, block_sizes: dict[str, int]):
        self.op = op
        self.name = name
        self.body: Body = op.split()
        self.block_sizes = block_sizes
        self.host = FunctionContext({f"#{n}": n for n in WRAPPER_NAMES})
        self.wrapper: list[str] = []
        self.sig = Signature()
        self.tile = Tile(iota=self.iota)
        self.device = DeviceEmitter()
        self.pointer_of: dict[SSAValue, str] = {}
        self.args = [self.host.bind(a) for a in op.block.args]

    # ---------------------------------------------------------------- wrapper pieces

    def wrapper_prologue(self) -> None:
        """Binds the block arguments and prints the host prologue as torch code."""
        torch_emitter = TorchEmitter()
        for op in self.body.host:
            if isinstance(op, ConcatOp) and all(self._is_parameter(v) for v in op.inputs):
                inputs = ", ".join(self.host.use(v) for v in op.inputs)
                self.host.define(op.result, f"launch.concat_parameters(({inputs},), "
                                            f"{op.axis.value.data})")
                continue
            torch_emitter.emit(op, self.host)

    def _is_parameter(self, value: SSAValue) -> bool:
        """Whether a body value is a block argument whose input is a model parameter."""
        from mlang.dialects.model.structure import GetParamOp

        if value not in self.op.block.args:
            return False
        operand = self.op.inputs[self.op.block.args.index(value)]  # type: ignore[arg-type]
        return isinstance(operand.owner, GetParamOp)

    def device_outputs(self) -> list[Output]:
        """The outputs the kernel stores (those computed on the device)."""
        return [o for o in self.body.outputs if self.body.roles[o.root] is Role.DEVICE]

    def allocate(self, out: Output, index: int, shape: str) -> str:
        """Prints the allocation of an output buffer; returns its name."""
        name = f"out{index}"
        dtype = TORCH_DTYPES[str(element(out.root))]
        self.host.lines.append(
            f"{name} = launch.OutputBuffer({shape}, {output_views(out)}, {dtype}, device)"
        )
        return name

    def returns(self, buffers: dict[int, str]) -> None:
        """Prints the return of the kernel's results."""
        values = []
        for i, out in enumerate(self.body.outputs):
            values.append(f"{buffers[i]}.result()" if i in buffers else self.host.use(out.root))
        self.host.lines.append(f"return {', '.join(values)}")

    def input_pointer(self, value: SSAValue) -> str:
        """The jit parameter of a host value the device reads."""
        if value not in self.pointer_of:
            name = f"in{len(self.pointer_of)}"
            self.pointer_of[value] = name
            self.sig.pointers.append(name)
        return self.pointer_of[value]

    def load(self, value: SSAValue, offsets: str, mask: str) -> None:
        """Prints the load of a host value into the tile, converted to its compute type."""
        pointer = self.input_pointer(value)
        expr = f"tl.load({pointer} + {offsets}, mask={mask}, other=0)"
        t = element(value)
        if compute_type(t) != _tl(t):
            expr += f".to({compute_type(t)})"
        self.tile.bind(value, expr, "x")

    def store(self, pointer: str, value: SSAValue, offsets: str, mask: str) -> None:
        """Prints the store of a device value, converted to the output's type."""
        expr = self.tile.use(value)
        self.tile.line(
            f"tl.store({pointer} + {offsets}, ({expr}).to({pointer}.dtype.element_ty), mask={mask})"
        )

    def emit_device(self, ops: Sequence[Operation]) -> None:
        """Prints elementwise device ops."""
        for op in ops:
            self.device.emit(op, self.tile)

    def launch(self, condition: str, grid: str, args: Sequence[str], key: str,
               derived: dict[str, str] | None = None) -> None:
        """Prints the launch: `grid` and `derived` block sizes may use the tuned block
        sizes by name. With `autotune`, a CUDA device times neighbouring sizes on the
        first call for each `key` (see `launch.autotune`)."""
        tuned = list(self.block_sizes)
        derived = derived or {}
        names = [*tuned, *derived]
        call = ", ".join([*args, *(f"{n}={n}" for n in names)])
        h = self.host.lines
        h.append(f"if {condition}:")
        if self.op.autotune is None:
            values = ", ".join(str(self.block_sizes[n]) for n in tuned)
            h.append(f"    {', '.join(tuned)} = {values}")
            h += [f"    {n} = {e}" for n, e in derived.items()]
            h.append(f"    {self.name}_kernel[{grid}]({call})")
            return
        from mlang.passes.choose_block_sizes import autotune_candidates

        chosen = list(self.block_sizes.values())
        candidates = [tuple(c) for c in autotune_candidates(self.op, chosen)]
        h.append(f"    def run({', '.join(tuned)}):")
        h += [f"        {n} = {e}" for n, e in derived.items()]
        h.append(f"        {self.name}_kernel[{grid}]({call})")
        h.append(f'    launch.autotune("{self.name}", {key}, {candidates}, run)')

    def iota(self, op: IotaOp) -> str:
        """Indices along an axis, in this kernel's space."""
        raise CodegenError(f"a {self.op.KIND} kernel cannot compute 'tensorops.iota' inside")

    def source(self) -> KernelSource:
        """Assembles the jit function and the wrapper."""
        params = ", ".join(["device", *self.args])
        header = [
            f"def {self.name}({params}):",
            f'    """{self.op.name}: {self._signature()}"""',
        ]
        jit = ["@triton.jit", f"def {self.name}_kernel({self.sig.params()}):"]
        jit += [f"    {line}" for line in self.tile.lines]
        wrapper = header + [f"    {line}" for line in self.host.lines]
        return KernelSource(self.name, jit, wrapper)

    def _signature(self) -> str:
        ins = ", ".join(str(v.type) for v in self.op.inputs)
        outs = ", ".join(str(r.type) for r in self.op.outputs)
        return f"({ins}) -> ({outs})"


def _tl(t: object) -> str:
    """The Triton type of elements of type `t`."""
    from mlang.backends.triton.device import TL_DTYPES

    return TL_DTYPES[str(t)]


def _decompose(tile: Tile, index: str, sizes: Sequence[str], names: Sequence[str]) -> None:
    """Prints `names[d] = ` the multi-index of flat `index` over dimensions whose sizes
    (all but the first) are `sizes`."""
    if len(names) == 1:
        tile.line(f"{names[0]} = {index}")
        return
    rest = tile.name("rest")
    tile.line(f"{rest} = {index}")
    for d in range(len(names) - 1, 0, -1):
        tile.line(f"{names[d]} = {rest} % {sizes[d - 1]}")
        tile.line(f"{rest} = {rest} // {sizes[d - 1]}")
    tile.line(f"{names[0]} = {rest}")


def _offsets(terms: Sequence[tuple[str, str]]) -> str:
    """`i0 * st0 + i1 * st1 + ...`."""
    return " + ".join(f"{i} * {s}" for i, s in terms) or "0"


# --------------------------------------------------------------------------- pointwise


class PointwisePrinter(KernelPrinter):
    """One program per BLOCK elements of the output, indices decomposed per dimension."""

    op: PointwiseOp

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
        _decompose(t, "offs", sizes, self.index)
        self.sig.ints += ["numel", *sizes]
        stride_args: list[str] = []
        for v in inputs:
            pointer = self.input_pointer(v)
            strides = [f"{pointer}_st{d}" for d in range(rank)]
            self.sig.ints += strides
            stride_args.append(f"*launch.strides({self.host.use(v)}, space)")
            self.load(v, _offsets(list(zip(self.index, strides))), "mask")
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
            self.store(pointer, root, _offsets(list(zip(self.index, strides))), "mask")
        self.sig.constexprs.append("BLOCK")
        ins = [self.host.use(v) for v in inputs]
        h.append("n = launch.numel(space)")
        args = [*ins, *out_args, "n", "*space[1:]", *stride_args]
        self.launch("n > 0", "(triton.cdiv(n, BLOCK),)", args, "space")
        self.returns(buffers)
        return self.source()

    def iota(self, op: IotaOp) -> str:
        rank = len(value_shape(op.result))
        return self.index[len(self.index) - rank + op.axis.value.data]


# --------------------------------------------------------------------------- reduction


class ReductionPrinter(KernelPrinter):
    """BLOCK_R rows per program, each row whole in BLOCK_C columns."""

    op: ReductionOp

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
        _decompose(t, "r", sizes, index)
        self.sig.ints += ["rows", "cols", *sizes]
        stride_args: list[str] = []
        for v in inputs:
            pointer = self.input_pointer(v)
            strides = [f"{pointer}_st{d}" for d in range(nlead + 1)]
            self.sig.ints += strides
            stride_args.append(f"*launch.strides({self.host.use(v)}, lead + shape[-1:])")
            terms = list(zip(index, strides))
            if levels.get(v) in ("row", "scalar"):
                self.load(v, _offsets(terms), "rmask")
            else:
                self.load(v, _offsets([*terms, ("c", strides[-1])]), "mask")
        for op in body.device:
            if isinstance(op, ROW_REDUCTIONS):
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
                self.store(pointer, root, _offsets([*terms, ("c", strides[-1])]), "mask")
            else:
                self.store(pointer, root, _offsets(terms), "rmask")
        self.sig.constexprs += ["BLOCK_R", "BLOCK_C"]
        ins = [self.host.use(v) for v in inputs]
        bc = self.block_sizes.pop("BLOCK_C")
        args = [*ins, *out_args, "rows", "cols", "*lead[1:]", *stride_args]
        self.launch("rows > 0", "(triton.cdiv(rows, BLOCK_R),)", args, "shape",
                    {"BLOCK_C": f"launch.row_block(cols, {bc})"})
        self.returns(buffers)
        return self.source()

    def iota(self, op: IotaOp) -> str:
        rank = len(value_shape(op.result))
        return self.index[len(self.index) - rank + op.axis.value.data]

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


def _reduce_identity(op: Operation, t: Attribute) -> str:
    """The value masked-off columns take in a row reduction of elements of type `t`: the
    lowest (max), highest (min) or zero (sum), so that it never changes the result."""
    bound = 2 ** (t.width.data - 1) if isinstance(t, IntegerType) else None
    if isinstance(op, ReduceMaxOp):
        return 'float("-inf")' if bound is None else str(-bound)
    if isinstance(op, ReduceMinOp):
        return 'float("inf")' if bound is None else str(bound - 1)
    return "0.0" if bound is None else "0"


# ------------------------------------------------------------------------------ matmul


class MatmulPrinter(KernelPrinter):
    """BLOCK_M x BLOCK_N output tiles, looping over K in BLOCK_K steps. Batch dimensions
    are folded into the rows when nothing on the rhs side varies over them (a linear
    layer on `[N, T, in]`: N * T rows), else they are grid axis 1."""

    op: MatmulOp

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
        # float64 products accumulate in float64, as torch computes them; the rest in float32
        acc_type = "tl.int32" if int8 else (
            "tl.float64" if str(element(mm.result)) == "f64" else "tl.float32")
        if int8:
            t.line(f"acc += tl.dot({a}, {b}, out_dtype=tl.int32)")
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
            _decompose(t, "rm", sizes, self.rows)
            h.append("rows, z = launch.numel(shape[:-1]), 1")
            h.append("row_sizes, z_sizes = shape[1:-1], ()")
        else:
            self.rows = ["rm"]
            self.zs = [f"z{d}" for d in range(nbatch)]
            sizes = [f"zsize{d}" for d in range(1, nbatch)]
            _decompose(t, "tl.program_id(1)", sizes, self.zs)
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
        return _offsets([*terms, (last, st[-1])])

    def _masked(self, operand: SSAValue, prologue: Sequence[Operation], mask: str) -> str:
        """An operand tile, zeroed outside the matrix when a prologue computed it."""
        name = self.tile.use(operand)
        if prologue:
            self.tile.line(f"{name} = tl.where({mask}, {name}, tl.zeros_like({name}))")
        return name


def _host_reads(ops: Sequence[Operation], body: Body) -> list[SSAValue]:
    """The host values (not splats) that `ops` read, in order."""
    from mlang.dialects.kernel.body import is_splat

    found: dict[SSAValue, None] = {}
    for op in ops:
        for v in op.operands:
            if body.roles.get(v) is Role.HOST and not is_splat(v):
                found.setdefault(v)
    return list(found)
