"""The dialect registry: every dialect loads under its own name, lazily."""

from __future__ import annotations

import pytest

from mlang.dialects import get_all_dialects, make_context


@pytest.mark.parametrize("name", sorted(get_all_dialects()))
def test_each_dialect_is_registered_under_its_own_name(name: str) -> None:
    assert get_all_dialects()[name]().name == name


def test_the_context_knows_every_dialect_and_has_builtin_loaded() -> None:
    ctx = make_context()
    assert set(ctx.registered_dialect_names) == set(get_all_dialects())
    assert [dialect.name for dialect in ctx.loaded_dialects] == ["builtin"]
