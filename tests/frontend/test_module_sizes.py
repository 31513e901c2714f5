"""The frontend stays in small files, one job each: a file that outgrows the budget is
split by what it handles, as irgen.py and tensor_functions.py were."""

from __future__ import annotations

from pathlib import Path

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
MAX_LINES = 600


def test_no_frontend_file_is_over_the_line_budget() -> None:
    sizes = {p.name: len(p.read_text().splitlines()) for p in FRONTEND.glob("*.py")}
    assert sizes, "no frontend files found"
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
