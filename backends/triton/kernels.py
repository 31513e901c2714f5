"""What every kernel printer shares: the wrapper's prologue, loads, stores and launch.

Each kind of kernel op has its printer in a module of its own (`pointwise`, `reduction`,
`matmul`, `attention`), which prints a `@triton.jit` function and its host wrapper. A
printer reads the kernel's body through `split_body`: the wrapper computes the host
prologue with the torch printer (views, constants, concat) and allocates outputs through
`launch.OutputBuffer` (which applies output views); the jit function loads each input
the device ops read, with the strides of that input broadcast into the kernel's
iteration space, runs the device ops (`DeviceEmitter` for elementwise ones), and stores
the outputs. Every load and store is masked, so any shape works with any block size.

Wrappers take `(device, *inputs)` and return the kernel's results (a tuple if several).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from xdsl.dialects.builtin import DYNAMIC_INDEX, TensorType
from xdsl.ir import Operation, SSAValue

from mlang.backends.common.errors import CodegenError
from mlang.backends.torch.context import FunctionContext
from mlang.backends.torch.emitter import TORCH_DTYPES, TorchEmitter
from mlang.backends.triton.device import DeviceEmitter, Tile, compute_type, element
from mlang.dialects.kernel import Body, Role, TiledKernelOp
from mlang.dialects.kernel.autotune import autotune_candidates
from mlang.dialects.kernel.body import Output, value_shape
from mlang.dialects.tensorops import ConcatOp, IotaOp, ReshapeOp, ReshapeTailOp, TransposeOp
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


class KernelPrinter(ABC):
    """What every kind shares: the wrapper's prologue, loads, stores and the launch."""

    def __init__(self, op: TiledKernelOp, name: str, block_sizes: dict[str, int]):
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

    @abstractmethod
    def print(self) -> KernelSource:
        """Prints the kernel: its jit function and its host wrapper."""

    # ---------------------------------------------------------------- wrapper pieces

    def wrapper_prologue(self, skip: Collection[Operation] = ()) -> None:
        """Binds the block arguments and prints the host prologue as torch code, less the
        ops in `skip` (views that the kernel reads another way)."""
        torch_emitter = TorchEmitter()
        for op in self.body.host:
            if op in skip:
                continue
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
        operand = self.op.inputs[self.op.block.args.index(value)]
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


class IndexedPrinter(KernelPrinter):
    """A printer whose tile names one index per dimension of the kernel's iteration space
    (`index`, set while printing), so that an iota is the index of its axis."""

    index: list[str]

    def iota(self, op: IotaOp) -> str:
        """Indices along an axis: the index of that dimension, counted from the last."""
        rank = len(value_shape(op.result))
        return self.index[len(self.index) - rank + op.axis.value.data]


def _tl(t: object) -> str:
    """The Triton type of elements of type `t`."""
    from mlang.backends.triton.device import TL_DTYPES

    return TL_DTYPES[str(t)]


def decompose_index(tile: Tile, index: str, sizes: Sequence[str], names: Sequence[str]) -> None:
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


def strided_offsets(terms: Sequence[tuple[str, str]]) -> str:
    """`i0 * st0 + i1 * st1 + ...`."""
    return " + ".join(f"{i} * {s}" for i, s in terms) or "0"
