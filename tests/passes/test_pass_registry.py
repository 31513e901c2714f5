"""The pass and pipeline registries: names match, pipelines build."""

from __future__ import annotations

import pytest

from mlang.passes import PASS_SUMMARIES, get_all_passes, get_all_pipelines
from mlang.support.pass_manager import PipelineBuilder
from mlang.support.pass_pipeline import NestedPipeline, PassRef


@pytest.mark.parametrize("name", sorted(get_all_passes()))
def test_each_pass_is_registered_under_its_own_name(name: str) -> None:
    pass_type = get_all_passes()[name]()
    assert pass_type.name == name
    assert (pass_type.__doc__ or "").strip() or name in PASS_SUMMARIES, f"{name}: no summary"


@pytest.mark.parametrize("name", sorted(get_all_pipelines()))
def test_each_named_pipeline_builds(name: str) -> None:
    summary, _ = get_all_pipelines()[name]
    builder = PipelineBuilder(get_all_passes(), get_all_pipelines())
    assert summary and builder.build(NestedPipeline("builtin.module", (PassRef(name, name, 1),), 1))
