"""Compile-time benchmark: `mopt` from M source to printed model IR, as a whole process.

Generates programs with 10, 50, 200 and 1000 layers, times `mopt PROGRAM.m` (parse,
check, IR generation, verification, printing) and `mopt --help`, and prints a table with
the time per layer so that linear growth is visible. Run: `python bench/compile_time.py`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LAYERS = (10, 50, 200, 1000)
REPEATS = 3


def program(layers: int, width: int = 64) -> str:
    """An M program whose model chains `layers` Linear layers with relu between them."""
    fields = "\n".join(f"    l{i} = Linear({width}, {width})" for i in range(layers))
    body = "\n".join(f"        h = relu(l{i}(h))" for i in range(layers))
    return (
        f"model Deep(d: int) {{\n{fields}\n"
        f"    fn forward(x: f32[N, d]) -> f32[N, d] {{\n        let h = x\n{body}\n"
        f"        return h\n    }}\n}}\n"
        f"let net = Deep({width})\nprint(params(net))\n"
    )


def timed(cmd: list[str]) -> float:
    """Median wall time of running `cmd` REPEATS times."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Prints the table."""
    mopt = str(Path(sys.executable).parent / "mopt")
    print(f"{'program':<22}{'seconds':>10}{'ms/layer':>10}")
    print(f"{'mopt --help':<22}{timed([mopt, '--help']):>10.3f}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in LAYERS:
            path = Path(tmp) / f"deep{n}.m"
            path.write_text(program(n))
            t = timed([mopt, str(path)])
            print(f"{f'{n} layers':<22}{t:>10.3f}{1000 * t / n:>10.2f}")


if __name__ == "__main__":
    main()
