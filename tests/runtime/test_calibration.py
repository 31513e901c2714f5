"""The runtime's passes: `calibrate` runs a model, so it is registered by the runtime,
beside the IR passes of `mlang.passes`, and `mopt` sees one list."""

from __future__ import annotations

import pytest

from mlang import passes
from mlang.runtime import passes as runtime_passes

RUNTIME_ONLY = sorted(set(runtime_passes.get_all_passes()) - set(passes.get_all_passes()))


def test_calibrate_is_a_runtime_pass() -> None:
    assert RUNTIME_ONLY == ["calibrate"]
    assert "calibrate" not in passes.get_all_passes()


@pytest.mark.parametrize("name", RUNTIME_ONLY)
def test_each_runtime_pass_is_registered_under_its_own_name(name: str) -> None:
    pass_type = runtime_passes.get_all_passes()[name]()
    assert pass_type.name == name
    assert pass_type.__module__.startswith("mlang.runtime.")
    assert (pass_type.__doc__ or "").strip(), f"{name}: no summary"


def test_every_ir_pass_is_in_the_whole_list_as_it_is() -> None:
    whole = runtime_passes.get_all_passes()
    for name, factory in passes.get_all_passes().items():
        assert whole[name]() is factory()
