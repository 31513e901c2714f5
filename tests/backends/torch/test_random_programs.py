"""Random well-typed M programs, run on the torch backend and on the reference.

Hypothesis draws a model whose forward method chains layers and tensor functions over
small random shapes (a dynamic batch dimension `N` or static sizes): Linear, LayerNorm,
RMSNorm, Attention, relu/gelu/tanh/sigmoid/silu/exp, softmax, +, -, *, matmul, transpose,
reshape, sum/mean/max with an axis, concat and slices. Each program is compiled by the
frontend, its parameters initialised from a fixed seed, and its forward output on both
backends must agree to 1e-4 (relative, with an absolute floor scaled by the output's
magnitude). Everything runs in this process, through the Python API.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlang.backends import RunOptions, get_backend
from mlang.dialects.model.structure import DefOp
from mlang.frontend import compile_source
from mlang.runtime.model import ModelInstance


@dataclass(frozen=True)
class Dim:
    """One dimension of a value: its size at run time, and whether its type says `?`."""

    size: int
    dynamic: bool = False

    def __str__(self) -> str:
        return "?" if self.dynamic else str(self.size)


Shape = tuple[Dim, ...]


@dataclass
class Builder:
    """A model under construction: its fields, the lines of `forward`, its values."""

    fields: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    values: list[tuple[str, Shape]] = field(default_factory=list)

    def let(self, expression: str, shape: Shape) -> None:
        """Adds `let vK = expression` of the given shape."""
        name = f"v{len(self.values)}"
        self.lines.append(f"let {name} = {expression}")
        self.values.append((name, shape))

    def layer(self, constructor: str) -> str:
        """Declares a field; returns its name."""
        name = f"f{len(self.fields)}"
        self.fields.append(f"{name} = {constructor}")
        return name


Step = Callable[[st.DrawFn, Builder, str, Shape], bool]


def _static_last(shape: Shape) -> bool:
    return bool(shape) and not shape[-1].dynamic


def linear(draw: st.DrawFn, b: Builder, v: str, shape: Shape) -> bool:
    if not _static_last(shape):
        return False
    out = draw(st.integers(1, 6))
    bias = draw(st.booleans())
    f = b.layer(f"Linear({shape[-1].size}, {out}{'' if bias else ', bias=false'})")
    b.let(f"{f}({v})", (*shape[:-1], Dim(out)))
    return True


def norm(draw: st.DrawFn, b: Builder, v: str, shape: Shape) -> bool:
    if not _static_last(shape):
        return False
    kind = draw(st.sampled_from(["LayerNorm", "RMSNorm"]))
    f = b.layer(f"{kind}({shape[-1].size})")
    b.let(f"{f}({v})", shape)
    return True


def attention(draw: st.DrawFn, b: Builder, v: str, shape: Shape) -> bool:
    if len(shape) != 3 or not _static_last(shape):
        return False
    dim = shape[-1].size
    heads = draw(st.sampled_from([h for h in (1, 2, 3, 4) if dim % h == 0]))
    causal = draw(st.booleans())
    f = b.layer(f"Attention({dim}, {heads}{', causal=true' if causal else ''})")
    b.let(f"{f}({v})", shape)
    return True


def unary(draw: st.DrawFn, b: Builder, v: str, shape: Shape) -> bool:
    fn = draw(st.sampled_from(["relu", "gelu", "tanh", "sigmoid", "silu", "exp_tanh"]))
    b.let(f"exp(tanh({v}))" if fn == "exp_tanh" else f"{fn}({v})", shape)
    return True


def softmax(draw: st.DrawFn, b: Builder, v: str, shape: Shape) -> bool:
    if not shape:
        return False
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    fn = draw(st.sampled_from(["softmax", "log_softmax"]))
    b.let(f"{fn}({v}, axis={axis})", shape)
    return True


def binary(draw: st.DrawFn, b: Builder, v: str, shape: Shape) -> bool:
    partners = [name for name, s in b.values if s == shape]
    other = draw(st.sampled_from(partners))  # `v` itself is always a partner
    op = draw(st.sampled_from(["+", "-", "*"]))
    if draw(st.booleans()):
        scalar = draw(st.sampled_from(["0.5", "2.0", "-1.5"]))
        b.let(f"{v} {op} {scalar}", shape)
    else:
        b.let(f"({v} {op} {other})", shape)
    return True


def transpose(draw: st.DrawFn, b: Builder, v: str, shape: Shape) -> bool:
    if len(shape) < 2:
        return False
    i, j = draw(st.lists(st.integers(0, len(shape) - 1), min_size=2, max_size=2, unique=True))
    out = list(shape)
    out[i], out[j] = shape[j], shape[i]
    b.let(f"transpose({v}, {i}, {j})", tuple(out))
    return True


def reshape(draw: st.DrawFn, b: Builder, v: str, shape: Shape) -> bool:
    """Merges the last two dimensions, merges all but the last, or splits the last one in
    two; a dynamic dimension of the result is written `-1`."""
    if not shape or sum(d.dynamic for d in shape) > 1:
        return False
    last = shape[-1]
    kind = draw(st.sampled_from(["merge", "leading", "split"]))
    if kind == "merge" and len(shape) >= 2 and not last.dynamic and not shape[-2].dynamic:
        out: Shape = (*shape[:-2], Dim(shape[-2].size * last.size))
    elif kind == "leading" and len(shape) >= 3 and not last.dynamic:
        lead = shape[:-1]
        out = (Dim(math.prod(d.size for d in lead), any(d.dynamic for d in lead)), last)
    elif kind == "split" and not last.dynamic and len(shape) <= 3:
        splits = [k for k in (2, 3) if last.size % k == 0 and last.size > k]
        if not splits:
            return False
        k = draw(st.sampled_from(splits))
        out = (*shape[:-1], Dim(last.size // k), Dim(k))
    else:
        return False
    sizes = ", ".join("-1" if d.dynamic else str(d.size) for d in out)
    b.let(f"reshape({v}, [{sizes}])", out)
    return True


def reduce(draw: st.DrawFn, b: Builder, v: str, shape: Shape) -> bool:
    if len(shape) < 2:
        return False
    axis = draw(st.integers(0, len(shape) - 1))
    keepdim = draw(st.booleans())
    fn = draw(st.sampled_from(["sum", "mean", "max", "min"]))
    out = shape[:axis] + ((Dim(1),) if keepdim else ()) + shape[axis + 1:]
    b.let(f"{fn}({v}, axis={axis}{', keepdim=true' if keepdim else ''})", out)
    return True


def concat(draw: st.DrawFn, b: Builder, v: str, shape: Shape) -> bool:
    if not shape:
        return False
    partners = [name for name, s in b.values if s == shape]
    other = draw(st.sampled_from(partners))
    axis = draw(st.integers(0, len(shape) - 1))
    d = shape[axis]
    out = shape[:axis] + (Dim(2 * d.size, d.dynamic),) + shape[axis + 1:]
    b.let(f"concat([{v}, {other}], axis={axis})", out)
    return True


def matmul(draw: st.DrawFn, b: Builder, v: str, shape: Shape) -> bool:
    """`v @ transpose(w, -2, -1)` for a value `w` of the same shape."""
    if len(shape) < 2:
        return False
    partners = [name for name, s in b.values if s == shape]
    other = draw(st.sampled_from(partners))
    r = len(shape)
    b.let(f"{v} @ transpose({other}, {r - 2}, {r - 1})", (*shape[:-1], shape[-2]))
    return True


def slice_last(draw: st.DrawFn, b: Builder, v: str, shape: Shape) -> bool:
    if not _static_last(shape) or shape[-1].size < 2:
        return False
    lo = draw(st.integers(0, shape[-1].size - 1))
    hi = draw(st.integers(lo + 1, shape[-1].size))
    colons = ":, " * (len(shape) - 1)
    b.let(f"{v}[{colons}{lo}:{hi}]", (*shape[:-1], Dim(hi - lo)))
    return True


STEPS: tuple[Step, ...] = (
    linear, norm, attention, unary, softmax, binary, transpose, reshape, reduce, concat,
    matmul, slice_last,
)


@dataclass(frozen=True)
class Program:
    """An M program, and the shape of the input its forward takes."""

    source: str
    input_shape: tuple[int, ...]


@st.composite
def programs(draw: st.DrawFn) -> Program:
    """A model with a random forward method, and nothing else."""
    rank = draw(st.integers(1, 3))
    sizes = draw(st.lists(st.integers(1, 5), min_size=rank, max_size=rank))
    batch_dynamic = draw(st.booleans())
    shape: Shape = tuple(Dim(s, batch_dynamic and i == 0) for i, s in enumerate(sizes))
    b = Builder(values=[("x", shape)])
    for _ in range(draw(st.integers(1, 6))):
        for _attempt in range(4):  # a step that does not apply to the value is redrawn
            last = draw(st.integers(0, 3))
            name, current = b.values[-1] if last else draw(st.sampled_from(b.values))
            if draw(st.sampled_from(STEPS))(draw, b, name, current):
                break
    result, result_shape = b.values[-1]
    signature = ", ".join("N" if d.dynamic else str(d.size) for d in shape)
    fields = "".join(f"    {f}\n" for f in b.fields)
    body = "".join(f"        {line}\n" for line in b.lines)
    source = (
        f"model Random() {{\n{fields}"
        f"    fn forward(x: f32[{signature}]) -> f32[{', '.join(map(str, result_shape))}] {{\n"
        f"{body}        return {result}\n    }}\n}}\nlet m = Random()\n"
    )
    return Program(source, tuple(sizes))


@pytest.fixture(scope="module")
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Generated code goes to a temporary cache, not the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLANG_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


def _model_and_input(program: Program) -> tuple[ModelInstance, torch.Tensor]:
    """The program's model with parameters from a fixed seed, and an input for it."""
    module = compile_source(program.source, "random.m")
    definition = next(op for op in module.ops if isinstance(op, DefOp))
    torch.manual_seed(0)
    model = ModelInstance.create(definition, get_backend("reference").compile(definition), "cpu")
    return model, torch.randn(program.input_shape)


def _forward(program: Program) -> tuple[torch.Tensor, torch.Tensor]:
    """The forward output on the torch backend and on the reference, same parameters."""
    model, x = _model_and_input(program)
    outputs = []
    for backend in ("torch", "reference"):
        compiled = get_backend(backend).compile(model.definition)
        with torch.no_grad():
            outputs.append(compiled.run("forward", model.params, [x], RunOptions())[0])
    return outputs[0], outputs[1]  # type: ignore[return-value]


@settings(max_examples=int(os.environ.get("MLANG_RANDOM_PROGRAMS", "40")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(program=programs())
def test_random_program_matches_reference(private_cache: None, program: Program) -> None:
    got, want = _forward(program)
    assert got.shape == want.shape, program.source
    scale = max(1.0, float(want.abs().max())) if want.numel() else 1.0
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5 * scale,
                               msg=lambda m: f"{m}\n{program.source}")


@settings(max_examples=int(os.environ.get("MLANG_RANDOM_PROGRAMS", "40")) // 2, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(program=programs(), mode=st.sampled_from(["weight", "dynamic"]))
def test_random_quantized_program_matches_reference(private_cache: None, program: Program,
                                                    mode: str) -> None:
    """`quantize` in the weight and dynamic modes, each backend running its own copy."""
    from mlang.runtime.quantize import quantize_model

    model, x = _model_and_input(program)
    outputs = []
    for backend in ("torch", "reference"):
        quantized = quantize_model(model, "int8", mode, None, get_backend(backend))
        with torch.no_grad():
            outputs.append(quantized.compiled.run("forward", quantized.params, [x], RunOptions())[0])
    got, want = outputs
    scale = max(1.0, float(want.abs().max())) if want.numel() else 1.0
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4 * scale,
                               msg=lambda m: f"{m}\n{mode}\n{program.source}")


def test_generator_makes_valid_programs(tmp_path: Path) -> None:
    """The reference accepts what the generator makes (a check of the test itself)."""
    @settings(max_examples=30, deadline=None)
    @given(program=programs())
    def check(program: Program) -> None:
        module = compile_source(program.source, "random.m")
        definition = next(op for op in module.ops if isinstance(op, DefOp))
        torch.manual_seed(0)
        model = ModelInstance.create(definition, get_backend("reference").compile(definition),
                                     "cpu")
        model.call("forward", [torch.randn(program.input_shape)])

    check()
