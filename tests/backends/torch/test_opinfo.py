"""A peer test against PyTorch's OpInfo database.

For each tensorops op that implements a torch operator, every CPU sample of that operator
(float32; bool for the logical ones) is compiled as a one-op function by the torch backend
and compared with the operator's own output. Samples whose arguments the op does not model
(`alpha`, `dilation`, `ceil_mode`, ...) are skipped and counted; so are samples that the
op's verifier rejects where the op documents that rejection (a 0-d input to a reduction),
while any other rejection fails. Each operator must fail no sample and pass at least as
many as it did when its count was recorded. A summary table is printed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from numbers import Number
from typing import Any

import pytest
import torch
from torch.testing._internal.common_methods_invocations import op_db
from torch.testing._internal.opinfo.core import OpInfo, SampleInput
from xdsl.dialects import func
from xdsl.dialects.builtin import TensorType, f32, f64, i1, i32, i64
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.utils.exceptions import VerifyException

from mlang.backends.torch.codegen import compile_functions
from mlang.dialects.tensorops import (
    AbsOp, AddOp, AndOp, ArgmaxOp, AvgPool2dOp, BroadcastToOp, ConcatOp, Conv2dOp, CosOp,
    DivOp, EqOp, ErfOp, ExpOp, GatherOp, GeOp, GtOp, LeOp, LogOp, LtOp, MatmulOp, MaximumOp,
    MaxPool2dOp, MinimumOp, MulOp, NegOp, NeOp, NotOp, OrOp, PowOp, ReduceMaxOp, ReduceMeanOp,
    ReduceMinOp, ReduceSumOp, ReshapeOp, RsqrtOp, SelectOp, SigmoidOp, SinOp, SliceOp, SqrtOp,
    SubOp, TanhOp, TransposeOp,
)
from mlang.dialects.tensorops.indexing import CumsumOp, PadOp, TakeAlongOp, TopkOp

ELEMENTS: dict[torch.dtype, Attribute] = {
    torch.float32: f32, torch.float64: f64, torch.bool: i1, torch.int32: i32, torch.int64: i64,
}
Build = Callable[..., Operation | Sequence[Operation]]
Adapter = Callable[[SampleInput], tuple[list[torch.Tensor], Build]]
MAX_PASSES = 64
"""Samples checked per operator at most (max_pool2d alone has 180 that apply)."""


class Unsupported(Exception):
    """A sample whose arguments the tensorops op does not model."""


@dataclass(frozen=True)
class Rejection:
    """Samples that the op's documentation says it rejects, and the documented reason."""

    applies: Callable[[SampleInput], bool]
    why: str


@dataclass(frozen=True)
class Peer:
    """A torch operator in OpInfo and how to express its samples with tensorops.

    `passes` is how many of its samples pass today: the count may grow, never drop. A
    sample the verifier rejects fails the test unless `rejects` applies to it.
    """

    name: str
    adapt: Adapter
    passes: int
    variant: str = ""
    dtype: torch.dtype = torch.float32
    rejects: Rejection | None = None
    part: int | None = None
    """Which of the operator's outputs the op's result is, when it returns a tuple."""


def _tensor(value: object, like: torch.Tensor) -> torch.Tensor:
    """A tensor operand: Python numbers become 0-d tensors of the other operand's dtype."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, bool) or not isinstance(value, Number):
        raise Unsupported(f"a {type(value).__name__} operand")
    return torch.tensor(value, dtype=like.dtype)


def _bind(s: SampleInput, names: Sequence[str], defaults: dict[str, Any]) -> dict[str, Any]:
    """The sample's arguments after the input, by name."""
    bound = dict(defaults)
    bound.update(zip(names, s.args))
    unknown = set(s.kwargs) - set(names)
    if unknown or len(s.args) > len(names):
        raise Unsupported(f"arguments {sorted(unknown) or len(s.args)}")
    bound.update(s.kwargs)
    return bound


def _require(condition: bool, reason: str) -> None:
    if not condition:
        raise Unsupported(reason)


def _pair(value: int | Sequence[int]) -> tuple[int, int]:
    """An int or a pair, as a pair."""
    if isinstance(value, int):
        return (value, value)
    _require(len(value) == 2, f"size {value}")
    return (value[0], value[1])


def _sizes(args: tuple[Any, ...]) -> list[int]:
    """Sizes given as one sequence or as several ints."""
    return list(args[0]) if len(args) == 1 and not isinstance(args[0], int) else list(args)


def unary(op: type[Operation]) -> Adapter:
    def adapt(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
        _require(not s.args and not s.kwargs, "extra arguments")
        return [s.input], op

    return adapt


def binary(op: type[Operation]) -> Adapter:
    def adapt(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
        _require(len(s.args) == 1 and not s.kwargs, f"arguments {sorted(s.kwargs)}")
        other = _tensor(s.args[0], s.input)
        _require(other.dtype == s.input.dtype, "mixed dtypes")
        return [s.input, other], op

    return adapt


def where(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
    cond, other = s.args
    return [cond, s.input, _tensor(other, s.input)], SelectOp


def reduction(op: type[Operation]) -> Adapter:
    def adapt(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
        bound = _bind(s, ["dim", "keepdim"], {"dim": None, "keepdim": False})
        dim = bound["dim"]
        axes = None if dim is None or dim == () or dim == [] else dim
        return [s.input], lambda x: op(x, axes, bound["keepdim"])

    return adapt


def argmax(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
    bound = _bind(s, ["dim", "keepdim"], {"dim": None, "keepdim": False})
    _require(bound["dim"] is not None, "argmax over the flattened tensor")
    return [s.input], lambda x: ArgmaxOp(x, bound["dim"], bound["keepdim"])


def permute(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
    return [s.input], lambda x: TransposeOp(x, _sizes(s.args))


def transpose(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
    rank = s.input.dim()
    perm = list(range(rank))
    if rank:  # torch takes dims 0 and -1 of a 0-d tensor too: the identity, perm []
        a, b = (d % rank for d in s.args)
        perm[a], perm[b] = perm[b], perm[a]
    return [s.input], lambda x: TransposeOp(x, perm)


def reshape(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
    return [s.input], lambda x: ReshapeOp(x, _sizes(s.args))


def broadcast(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
    return [s.input], lambda x: BroadcastToOp(x, _sizes(s.args))


def cat(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
    dim = _bind(s, ["dim"], {"dim": 0})["dim"]
    return list(s.input), lambda *xs: ConcatOp(xs, dim)


def narrow(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
    dim, start, length = s.args
    _require(isinstance(start, int), "a tensor start")
    start %= max(s.input.shape[dim], 1)
    slices = [slice(None)] * s.input.dim()
    slices[dim] = slice(start, start + length)
    return [s.input], lambda x: SliceOp(x, slices)


def index_select(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
    dim, index = s.args
    _require(dim in (0, -s.input.dim()) and index.dim() == 1, "a gather off axis 0")
    return [s.input, index], GatherOp


def embedding(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
    (ids,) = s.args
    _require(set(s.kwargs) <= {"padding_idx"}, f"arguments {sorted(s.kwargs)}")
    pad = s.kwargs.get("padding_idx")
    row = None if pad is None else pad % s.input.shape[0]
    return [s.input, ids], lambda table, i: GatherOp(table, i, row)


def conv2d(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
    names = ["weight", "bias", "stride", "padding", "dilation", "groups"]
    bound = _bind(s, names, {"bias": None, "stride": 1, "padding": 0, "dilation": 1, "groups": 1})
    padding = 0 if bound["padding"] == "valid" else bound["padding"]
    _require(not isinstance(padding, str), f"padding '{padding}'")
    stride, pad = _pair(bound["stride"]), _pair(padding)
    dilation, groups = _pair(bound["dilation"]), bound["groups"]
    tensors = [s.input, bound["weight"]]
    if bound["bias"] is None:
        return tensors, lambda x, w: Conv2dOp(x, w, stride, pad, dilation, groups)

    def with_bias(x: SSAValue, w: SSAValue, b: SSAValue) -> list[Operation]:
        conv = Conv2dOp(x, w, stride, pad, dilation, groups)
        column = ReshapeOp(b, [-1, 1, 1])
        return [conv, column, AddOp(conv.result, column.result)]

    return [*tensors, bound["bias"]], with_bias


def pool2d(op: type[Operation], names: list[str], defaults: dict[str, Any]) -> Adapter:
    def adapt(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
        bound = _bind(s, names, defaults)
        _require(_pair(bound.get("dilation", 1)) == (1, 1), "dilation")
        for name in sorted(set(defaults) - {"stride", "padding", "dilation"}):
            _require(bound[name] == defaults[name], name)
        kernel = _pair(bound["kernel_size"])
        stride = kernel if bound["stride"] in (None, ()) else _pair(bound["stride"])
        padding = _pair(bound["padding"])
        return [s.input], lambda x: op(x, kernel, stride, padding)

    return adapt


def cumsum(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
    dim = _bind(s, ["dim"], {})["dim"]
    _require(s.input.dim() > 0, "a 0-d input")
    return [s.input], lambda x: CumsumOp(x, dim)


def topk(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
    bound = _bind(s, ["k", "dim", "largest", "sorted"], {"dim": -1, "largest": True,
                                                         "sorted": True})
    _require(bound["largest"] and bound["sorted"], "smallest or unsorted")
    _require(s.input.dim() > 0, "a 0-d input")
    return [s.input], lambda x: TopkOp(x, bound["k"], bound["dim"])


def gather(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
    bound = _bind(s, ["dim", "index", "sparse_grad"], {"sparse_grad": False})
    index = bound["index"]
    _require(index.dtype in (torch.int32, torch.int64), f"a {index.dtype} index")
    _require(s.input.dim() > 0 and index.dim() == s.input.dim(), "0-d or rank mismatch")
    return [s.input, index], lambda x, i: TakeAlongOp(x, i, bound["dim"])


def pad(s: SampleInput) -> tuple[list[torch.Tensor], Build]:
    bound = _bind(s, ["pad", "mode", "value"], {"mode": "constant", "value": None})
    _require(bound["mode"] == "constant", f"mode '{bound['mode']}'")
    widths, rank = list(bound["pad"]), s.input.dim()
    _require(len(widths) // 2 <= rank, "more widths than dimensions")
    pairs = [(0, 0)] * rank
    for i in range(len(widths) // 2):
        pairs[rank - 1 - i] = (widths[2 * i], widths[2 * i + 1])
    value = 0.0 if bound["value"] is None else float(bound["value"])
    return [s.input], lambda x: PadOp(x, pairs, value)


NO_AXIS = Rejection(
    lambda s: s.input.dim() == 0,
    "a 0-d input: the op reduces at least one axis, and a 0-d tensor has none",
)
PEERS = [
    *(Peer(name, unary(op), passes) for name, op, passes in [
        ("exp", ExpOp, 3), ("log", LogOp, 3), ("sqrt", SqrtOp, 1), ("rsqrt", RsqrtOp, 3),
        ("sin", SinOp, 1), ("cos", CosOp, 3), ("tanh", TanhOp, 1), ("erf", ErfOp, 1),
        ("sigmoid", SigmoidOp, 3), ("neg", NegOp, 1), ("abs", AbsOp, 1),
    ]),
    Peer("logical_not", unary(NotOp), 3, dtype=torch.bool),
    *(Peer(name, binary(op), passes) for name, op, passes in [
        ("add", AddOp, 9), ("sub", SubOp, 9), ("mul", MulOp, 9), ("pow", PowOp, 9),
        ("maximum", MaximumOp, 9), ("minimum", MinimumOp, 9), ("eq", EqOp, 10),
        ("ne", NeOp, 9), ("lt", LtOp, 9), ("le", LeOp, 9), ("gt", GtOp, 9), ("ge", GeOp, 9),
        ("matmul", MatmulOp, 15),
    ]),
    Peer("div", binary(DivOp), 9, variant="no_rounding_mode"),
    Peer("logical_and", binary(AndOp), 9, dtype=torch.bool),
    Peer("logical_or", binary(OrOp), 9, dtype=torch.bool),
    Peer("where", where, 6),
    *(Peer(name, reduction(op), 16, rejects=NO_AXIS) for name, op in [
        ("sum", ReduceSumOp), ("mean", ReduceMeanOp), ("amax", ReduceMaxOp),
        ("amin", ReduceMinOp),
    ]),
    Peer("argmax", argmax, 7, rejects=NO_AXIS),
    Peer("permute", permute, 4),
    Peer("transpose", transpose, 8),
    Peer("reshape", reshape, 7),
    Peer("broadcast_to", broadcast, 7),
    Peer("expand", broadcast, 9),
    Peer("cat", cat, 8, rejects=Rejection(
        lambda s: len({t.dim() for t in s.input}) > 1,
        "inputs of different ranks: all dimensions but the axis must agree",
    )),
    Peer("narrow", narrow, 5),
    Peer("index_select", index_select, 1, rejects=Rejection(
        lambda s: s.input.dim() == 0, "a 0-d table: the op gathers rows, and it has none"
    )),
    Peer("nn.functional.embedding", embedding, 5),
    Peer("cumsum", cumsum, 2),
    Peer("topk", topk, 7, part=0),
    Peer("gather", gather, 3),
    Peer("nn.functional.pad", pad, 51, variant="constant"),
    Peer("nn.functional.conv2d", conv2d, 28),
    Peer("nn.functional.max_pool2d", pool2d(
        MaxPool2dOp,
        ["kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"],
        {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False,
         "return_indices": False},
    ), MAX_PASSES),
    Peer("nn.functional.avg_pool2d", pool2d(
        AvgPool2dOp,
        ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
         "divisor_override"],
        {"stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True,
         "divisor_override": None},
    ), 1),
]
TOTAL_PASSES = 462
"""Samples that pass in all, today: the sum of the `passes` above."""
OPINFOS = {(op.name, op.variant_test_name): op for op in op_db}
PASSED: dict[str, int] = {}
SKIPPED: dict[str, Counter[str]] = {}


def _compile(build: Build, tensors: Sequence[torch.Tensor]) -> Callable[..., torch.Tensor]:
    """A one-function torch program computing `build` of the tensors' types."""
    types = [TensorType(ELEMENTS[t.dtype], t.shape) for t in tensors]
    block = Block(arg_types=types)
    built = build(*block.args)
    ops = [built] if isinstance(built, Operation) else list(built)
    block.add_ops([*ops, func.ReturnOp(ops[-1].results[0])])
    f = func.FuncOp("f", (types, [ops[-1].results[0].type]), Region(block))
    f.verify()
    return compile_functions([f])["f"]


def _outcomes(peer: Peer, info: OpInfo) -> Iterator[tuple[str, str]]:
    """`("pass" | "skip" | "fail", detail)` for each sample of the operator."""
    passed = 0
    for s in info.sample_inputs("cpu", peer.dtype, requires_grad=False):
        if passed == MAX_PASSES:
            return
        try:
            tensors, build = peer.adapt(s)
            compiled = _compile(build, tensors)
        except Unsupported as err:
            yield "skip", str(err)
            continue
        except VerifyException as err:
            if peer.rejects is None or not peer.rejects.applies(s):
                yield "fail", f"{s}: rejected: {err}"
                continue
            yield "skip", f"rejected ({peer.rejects.why})"
            continue
        try:
            expected = info(s.input, *s.args, **s.kwargs)
            if peer.part is not None:
                expected = expected[peer.part]
        except RuntimeError:
            yield "skip", "torch raises"
            continue
        try:
            torch.testing.assert_close(compiled({}, *tensors), expected, equal_nan=True)
        except AssertionError as err:
            yield "fail", f"{s}: {err}"
            continue
        passed += 1
        yield "pass", ""


@pytest.fixture(scope="module", autouse=True)
def summary(request: pytest.FixtureRequest) -> Iterator[None]:
    """Prints how many samples of each operator passed and were skipped."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not PASSED:
        return
    lines = ["", f"OpInfo peer samples: {sum(PASSED.values())} passed"]
    for name, passed in PASSED.items():
        skipped = ", ".join(f"{n} {why}" for why, n in SKIPPED[name].most_common())
        lines.append(f"  {name:26} {passed:4} passed  {skipped and 'skipped ' + skipped}")
    with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        for line in lines:
            reporter.write_line(line)


@pytest.mark.parametrize("peer", PEERS, ids=lambda p: p.name)
def test_opinfo_samples(peer: Peer) -> None:
    info = OPINFOS[(peer.name, peer.variant)]
    outcomes = list(_outcomes(peer, info))
    failures = [detail for kind, detail in outcomes if kind == "fail"]
    PASSED[peer.name] = sum(kind == "pass" for kind, _ in outcomes)
    SKIPPED[peer.name] = Counter(detail for kind, detail in outcomes if kind == "skip")
    assert not failures, "\n".join(failures[:3])
    assert PASSED[peer.name] >= peer.passes, f"{PASSED[peer.name]} passed, {peer.passes} recorded"


def test_the_recorded_pass_counts_add_up() -> None:
    """The per-operator counts are today's, and none was lowered unnoticed."""
    assert sum(peer.passes for peer in PEERS) == TOTAL_PASSES
