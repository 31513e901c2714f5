"""The host additions of M 0.2, run: `break`/`continue`, `str` and `+` on strings,
`print(..., full=true)` and `write` (read back with safetensors and NumPy)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from test_host_programs import failure, run_both

pytestmark = pytest.mark.usefixtures("one_thread")


def test_break_and_continue_in_host_loops(tmp_path: Path) -> None:
    out = run_both(tmp_path, """\
let total = 0
for i in 0..10 {
    if i == 2 { continue }
    if i > 5 { break }
    for j in 0..3 {
        if j == 1 { break }
        total = total + 100
    }
    total = total + i
}
print(total)
for h in [1, 2, 3] {
    if h == 2 { continue }
    print("h", h)
}
""")
    assert out == "513\nh 1\nh 3\n"


def test_str_and_string_concatenation(tmp_path: Path) -> None:
    out = run_both(tmp_path, """\
let n = len(dataset("iris"))
let s = "rows: " + str(n) + ", " + str(0.5) + " " + str(n > 1) + " " + str("x")
print(s)
print("t=" + str(tensor([1.0, 2.0])))
""")
    assert out == "rows: 150, 0.5 true x\nt=[1. 2.]\n"


def test_print_full_never_elides(tmp_path: Path) -> None:
    out = run_both(tmp_path, "let x = ones([2000])\nprint(x)\nprint(x, full=true)\n")
    elided, full = out.splitlines()[0], out.split("\n", 1)[1]
    assert "..." in elided
    assert "..." not in full and full.count("1.") == 2000


@pytest.mark.parametrize("name", ["w.safetensors", "w.npz"])
def test_write_reads_back(tmp_path: Path, name: str) -> None:
    run_both(tmp_path, f"""\
let a = randn([3, 4], seed=1)
write("{name}", weight=a, ids=tensor([1, 2, 3]), file=zeros([2]))
print(a)
""")
    path = tmp_path / name
    got = load_file(str(path)) if name.endswith(".safetensors") else dict(
        np.load(path, allow_pickle=False))
    assert sorted(got) == ["file", "ids", "weight"]
    assert got["ids"].tolist() == [1, 2, 3] and got["ids"].dtype == np.int64
    assert got["weight"].shape == (3, 4) and got["weight"].dtype == np.float32
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_write_to_an_unwritable_path_is_a_located_error(tmp_path: Path) -> None:
    output = failure(tmp_path, 'print(1)\nwrite("no/such/dir/w.npz", a=ones([2]))\n', "p.m")
    assert "p.m:2:1: error: cannot write 'no/such/dir/w.npz'" in output, output


def test_write_with_a_run_time_path_checks_its_extension(tmp_path: Path) -> None:
    output = failure(tmp_path, 'let p = "w" + str(1) + ".pt"\nwrite(p, a=ones([2]))\n', "p.m")
    assert "p.m:2:1: error: write makes a .safetensors or .npz file" in output, output
