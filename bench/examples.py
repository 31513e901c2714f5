"""Run time of every program in examples/ under `mrun --backend reference`, as a whole process.

Each example runs once in a temporary folder (examples write packages) on one torch thread,
as tests/runtime/test_examples.py runs them; the tests check what the examples print, and
this prints how long each took. Run: `python bench/examples.py [NAME ...]`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def seconds(program: Path) -> float:
    """Wall time of one `mrun --backend reference PROGRAM` run, which must succeed."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    mrun = str(Path(sys.executable).parent / "mrun")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run(
            [mrun, "--backend", "reference", str(program)],
            check=True, cwd=tmp, env=env, stdout=subprocess.DEVNULL,
        )
        return time.perf_counter() - start


def main() -> None:
    """Prints one line per example: its name and seconds."""
    names = sys.argv[1:] or sorted(p.stem for p in EXAMPLES.glob("*.m"))
    print(f"{'example':<16}{'seconds':>10}")
    for name in names:
        print(f"{name:<16}{seconds(EXAMPLES / f'{name}.m'):>10.1f}")


if __name__ == "__main__":
    main()
