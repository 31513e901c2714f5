"""PyTorch's OpInfo samples of the M 0.2 tensor functions that lower to other tensor ops
(`tril triu unsqueeze squeeze expand repeat_interleave masked_fill normalize erf pow`),
each written as a one-call M model: the reference backend (model level) and the lowered
method on the torch backend must both give the operator's own output.

Samples whose arguments M does not spell (`p=1` in normalize, a `repeats` tensor, ...)
are skipped; each function must pass at least the number of samples recorded for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import torch
from torch.testing._internal.common_methods_invocations import op_db
from torch.testing._internal.opinfo.core import SampleInput

from mlang.backends.reference.evaluator import EvalContext, run_function
from mlang.backends.torch.codegen import compile_functions
from mlang.frontend import compile_source

from test_lowering_differential import forward_of, lower_to_tensor

DTYPES = {torch.float32: "f32", torch.bool: "bool", torch.int64: "i64"}
MAX_SAMPLES = 8


class Unsupported(Exception):
    """A sample whose arguments the M function does not take."""


@dataclass(frozen=True)
class Call:
    """An M call of the function on tensor arguments `x`, `y`, ... (`tensors`)."""

    text: str
    tensors: list[torch.Tensor]


Spell = Callable[[SampleInput], Call]


def _require(condition: bool, why: str) -> None:
    if not condition:
        raise Unsupported(why)


def _m(value: object) -> str:
    """A Python argument as M source."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_m(v) for v in value) + "]"
    _require(isinstance(value, (int, float)), f"a {type(value).__name__} argument")
    return repr(value)


def positional(name: str, *names: str, **defaults: object) -> Spell:
    """`name(x, a, b, ...)` from the sample's positional and keyword arguments."""

    def spell(s: SampleInput) -> Call:
        bound = dict(defaults)
        bound.update(zip(names, s.args))
        _require(set(s.kwargs) <= set(names) and len(s.args) <= len(names), "arguments")
        bound.update(s.kwargs)
        _require(all(n in bound for n in names), "a required argument left out")
        args = ", ".join(_m(bound[n]) for n in names)
        return Call(f"{name}(x{', ' + args if args else ''})", [s.input])

    return spell


def masked_fill(s: SampleInput) -> Call:
    mask, value = s.args
    if isinstance(value, torch.Tensor):
        _require(value.dim() == 0, "a value tensor of rank > 0")
        return Call("masked_fill(x, y, z)", [s.input, mask, value])
    return Call(f"masked_fill(x, y, {_m(value)})", [s.input, mask])


def normalize(s: SampleInput) -> Call:
    _require(not s.args and s.kwargs.get("p", 2.0) == 2.0, "p other than 2")
    _require(set(s.kwargs) <= {"p", "dim"}, "eps")
    return Call(f"normalize(x, axis={s.kwargs.get('dim', 1)})", [s.input])


def pow_(s: SampleInput) -> Call:
    (exponent,) = s.args
    if isinstance(exponent, torch.Tensor):
        return Call("pow(x, y)", [s.input, exponent])
    return Call(f"pow(x, {_m(float(exponent))})", [s.input])


def repeat_interleave(s: SampleInput) -> Call:
    _require(not s.args and isinstance(s.kwargs.get("repeats"), int), "a repeats tensor")
    _require("dim" in s.kwargs, "no dim: a flattened result")
    return Call(f"repeat_interleave(x, {s.kwargs['repeats']}, {s.kwargs['dim']})", [s.input])


def squeeze(s: SampleInput) -> Call:
    _require(len(s.args) == 1 and isinstance(s.args[0], int), "squeeze of every size-1 axis")
    _require(s.input.dim() > 0 and s.input.shape[s.args[0]] == 1, "an axis of size > 1")
    return Call(f"squeeze(x, {s.args[0]})", [s.input])


SPELLINGS: dict[str, tuple[Spell, int]] = {
    "tril": (positional("tril", "diagonal", diagonal=0), 8),
    "triu": (positional("triu", "diagonal", diagonal=0), 8),
    "unsqueeze": (positional("unsqueeze", "dim"), 8),
    "squeeze": (squeeze, 3),
    "expand": (positional("expand", "size"), 8),
    "repeat_interleave": (repeat_interleave, 1),
    "masked_fill": (masked_fill, 8),
    "nn.functional.normalize": (normalize, 2),
    "erf": (positional("erf"), 1),
    "pow": (pow_, 8),
}
OPINFOS = {op.name: op for op in op_db if op.variant_test_name == ""}


def _source(call: Call, result: torch.Tensor) -> str:
    """A model whose `forward` returns `call` with the sample's static shapes."""
    params = ", ".join(f"{name}: {DTYPES[t.dtype]}{list(t.shape)}"
                       for name, t in zip("xyz", call.tensors))
    out = f"{DTYPES[result.dtype]}{list(result.shape)}"
    return (f"model M() {{\n    fn forward({params}) -> {out} {{\n"
            f"        return {call.text}\n    }}\n}}\nlet m = M()\n")


def _check(call: Call, expected: torch.Tensor) -> None:
    """The reference and the lowered torch code both give `expected`."""
    module = compile_source(_source(call, expected), "sample.m")
    (got,) = run_function(forward_of(module)[1], call.tensors, EvalContext({}))
    torch.testing.assert_close(got, expected, equal_nan=True)
    lower_to_tensor(module)
    lowered = compile_functions([forward_of(module)[1]], select=False)["forward"]
    torch.testing.assert_close(lowered({}, *call.tensors), expected, equal_nan=True)


@pytest.mark.parametrize("name", sorted(SPELLINGS))
def test_opinfo_samples_through_m(name: str) -> None:
    spell, recorded = SPELLINGS[name]
    info = OPINFOS[name]
    passed = 0
    for s in info.sample_inputs("cpu", torch.float32, requires_grad=False):
        if passed == MAX_SAMPLES:
            break
        try:
            call = spell(s)
        except Unsupported:
            continue
        expected = info(s.input, *s.args, **s.kwargs)
        if expected.dtype not in DTYPES or any(t.dtype not in DTYPES for t in call.tensors):
            continue
        _check(call, expected.contiguous())
        passed += 1
    assert passed >= recorded, f"{passed} samples passed, {recorded} recorded"
