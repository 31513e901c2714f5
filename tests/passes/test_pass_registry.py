"""The pass and pipeline registries: names match, pipelines build, passes have lit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlang.passes import PASS_SUMMARIES, get_all_passes, get_all_pipelines
from mlang.support.pass_manager import PipelineBuilder
from mlang.support.pass_pipeline import NestedPipeline, PassRef, parse_pass_pipeline


@pytest.mark.parametrize("name", sorted(get_all_passes()))
def test_each_pass_is_registered_under_its_own_name(name: str) -> None:
    pass_type = get_all_passes()[name]()
    assert pass_type.name == name
    assert (pass_type.__doc__ or "").strip() or name in PASS_SUMMARIES, f"{name}: no summary"


@pytest.mark.parametrize("name", sorted(get_all_pipelines()))
def test_each_named_pipeline_builds_to_the_passes_of_its_text(name: str) -> None:
    summary, text = get_all_pipelines()[name]
    builder = PipelineBuilder(get_all_passes(), get_all_pipelines())
    by_name = builder.build(NestedPipeline("builtin.module", (PassRef(name, name, 1),), 1))
    by_text = builder.build(parse_pass_pipeline(f"builtin.module({text})"))
    assert summary.strip(), f"{name}: no summary"
    assert by_name.passes, f"{name} expands to no pass"
    assert [p.name for p in by_name.passes] == [p.name for p in by_text.passes]
    assert {p.name for p in by_name.passes} <= set(get_all_passes()) | {"op-pipeline"}


def _own_pass_modules() -> dict[str, str]:
    """mlang's own passes (not xDSL's, not mopt's `test-*` ones) and their modules' names."""
    modules = {name: make().__module__ for name, make in get_all_passes().items()}
    return {
        name: module.rsplit(".", 1)[-1]
        for name, module in modules.items()
        if module.startswith("mlang.passes.") and not name.startswith("test-")
    }


LIT_PASSES = Path(__file__).resolve().parents[2] / "lit-tests" / "passes"


@pytest.mark.parametrize(("name", "stem"), sorted(_own_pass_modules().items()))
def test_each_pass_has_a_lit_test_named_after_its_file(name: str, stem: str) -> None:
    assert [*LIT_PASSES.glob(f"{stem}.m*")], f"no lit-tests/passes/{stem}.mlir for '{name}'"
