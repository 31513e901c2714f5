"""What keeps compile time linear in model size: the frontend and pass pipelines run with
the garbage collector paused, and the `lower-*` passes try on each op only the patterns
for its class, and find `model.def`s without walking their bodies."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter

from mlang.dialects import make_context
from mlang.dialects.model.structure import DefOp
from mlang.frontend import compile_source
from mlang.frontend.irgen import IRGen
from mlang.passes import get_all_passes, get_all_pipelines
from mlang.passes.lowering import ModelOpLowering
from mlang.support.collector import collector_paused
from mlang.support.pass_manager import PipelineBuilder
from mlang.support.pass_pipeline import NestedPipeline, parse_pass_list

PROGRAM = """
model Block(dim: int) {
    fc = Linear(dim, dim)
    ln = LayerNorm(dim)
    fn forward(x: f32[N, dim]) -> f32[N, dim] {
        return ln(x + gelu(fc(x)))
    }
}
model Stack(dim: int, depth: int) {
    blocks = repeat(depth, Block(dim))
    fn forward(x: f32[N, dim]) -> f32[N, dim] {
        let h = x
        for block in blocks {
            h = block(h)
        }
        return relu(h)
    }
}
let s = Stack(8, 3)
"""


def run_pipeline(
    module: ModuleOp, text: str, passes: dict[str, Callable[[], type[ModulePass]]] | None = None
) -> None:
    """Runs the pipeline `text` on `module`, with the registered passes and `passes`."""
    builder = PipelineBuilder({**get_all_passes(), **(passes or {})}, get_all_pipelines())
    builder.build(NestedPipeline("builtin.module", parse_pass_list(text), 1)).apply(
        make_context(), module
    )


def model_defs(module: ModuleOp) -> ModuleOp:
    """A module of clones of the `model.def`s of `module`."""
    return ModuleOp([op.clone() for op in module.ops if isinstance(op, DefOp)])


def test_collector_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_collector_paused_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_frontend_runs_with_the_collector_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    generate = IRGen.generate

    def recording(self: IRGen, *args: object) -> ModuleOp:
        seen.append(gc.isenabled())
        return generate(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(IRGen, "generate", recording)
    compile_source(PROGRAM, "stack.m")
    assert seen == [False] and gc.isenabled()


@dataclass(frozen=True)
class RecordCollector(ModulePass):
    """Records whether the collector is enabled while it runs."""

    name = "record-collector"
    seen: ClassVar[list[bool]] = []

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        self.seen.append(gc.isenabled())


def test_pipelines_run_with_the_collector_paused() -> None:
    RecordCollector.seen.clear()
    module = model_defs(compile_source(PROGRAM, "stack.m"))
    record = {"record-collector": lambda: RecordCollector}
    run_pipeline(module, "lower-linear,record-collector", record)
    assert RecordCollector.seen == [False] and gc.isenabled()


def test_lowering_tries_only_the_patterns_for_each_op(monkeypatch: pytest.MonkeyPatch) -> None:
    tried: list[tuple[ModelOpLowering, Operation]] = []
    match = ModelOpLowering.match_and_rewrite

    def recording(self: ModelOpLowering, op: Operation, rewriter: PatternRewriter) -> None:
        tried.append((self, op))
        match(self, op, rewriter)

    monkeypatch.setattr(ModelOpLowering, "match_and_rewrite", recording)
    module = model_defs(compile_source(PROGRAM, "stack.m"))
    run_pipeline(module, "lower-to-tensor")
    # 3 blocks of linear, gelu, add and layer norm, then relu: each tried once, by its pattern.
    assert len(tried) == 3 * 4 + 1
    assert all(isinstance(op, pattern.source) for pattern, op in tried)
    left = {op.name for op in module.walk() if op.name.startswith("model.")}
    assert left == {"model.def", "model.param", "model.get_param"}


def test_lowering_finds_model_defs_in_nested_modules() -> None:
    defs = model_defs(compile_source(PROGRAM, "stack.m"))
    inner = ModuleOp([])
    for op in list(defs.ops):
        op.detach()
        inner.body.block.add_op(op)
    nested = ModuleOp([inner])
    run_pipeline(nested, "lower-linear")
    names = {op.name for op in nested.walk()}
    assert "model.linear" not in names and "tensorops.matmul" in names
