"""CI runs the README's test command, verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^pip install .*'\.\[dev\]'.*$", readme, re.MULTILINE)
    assert len(commands) == 1, commands
    assert (ROOT / ".ci" / "run").read_text().splitlines()[-1] == commands[0]
