"""Silent bad values and resource limits at run time: each is a located error or a one-line
note, and no Python warning or traceback reaches the user."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from click.testing import CliRunner

from mlang.backends import get_backend
from mlang.dialects.model import host
from mlang.frontend import compile_source, irgen
from mlang.runtime import interpreter
from mlang.runtime.interpreter import Interpreter
from mlang.tools.mrun import main

pytestmark = pytest.mark.usefixtures("one_thread")

NOTE = re.compile(r"^prog\.m:\d+:\d+: note: [^\n]+$")


def mrun(cwd: Path, program: str, expect: int = 0):
    """Runs `program` as cwd/prog.m, with every Python warning made an error."""
    (cwd / "prog.m").write_text(program)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = CliRunner().invoke(main, ["--backend", "reference", "prog.m"])
    finally:
        os.chdir(old)
    assert result.exit_code == expect, (result.stdout, result.stderr, result.exc_info)
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr, result.stderr
    return result


def one_note(stderr: str, fragment: str) -> None:
    """stderr is exactly one located note holding `fragment`."""
    assert NOTE.match(stderr.rstrip("\n")) and stderr.count("\n") == 1, stderr
    assert fragment in stderr, stderr


# ------------------------------------------------------------------------ data files


def test_a_huge_integral_label_is_not_wrapped_around(tmp_path: Path) -> None:
    (tmp_path / "big.csv").write_text("a,b,y\n1,2,1e23\n3,4,1\n")
    result = mrun(tmp_path, 'let d = load("big.csv")\nprint(d.y)\n')
    assert "-9223372036854775808" not in result.stdout
    assert np.allclose([float(v) for v in result.stdout.strip("[]\n").split()], [1e23, 1])
    one_note(result.stderr, "label 1e+23 is too large for a class id")


def test_a_feature_beyond_f32_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "wide.csv").write_text("a,b,y\n1,2,0\n3,1e39,1\n")
    result = mrun(tmp_path, 'let d = load("wide.csv")\n', expect=1)
    assert result.stderr.startswith("prog.m:1:9: error: 'wide.csv' line 3, column 'b': 1e39 "
                                    "is too large for f32"), result.stderr


def test_complex_npz_arrays_are_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "c.npz", x=np.array([[1 + 2j, 3]]), y=np.array([1]))
    result = mrun(tmp_path, 'let d = load("c.npz")\n', expect=1)
    assert "array x in 'c.npz' is complex (complex128)" in result.stderr.splitlines()[0]


def test_npz_values_beyond_f32_are_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "h.npz", x=np.array([[1.0, 2.0], [np.nan, 1e300]]), y=np.array([0, 1]))
    result = mrun(tmp_path, 'let d = load("h.npz")\n', expect=1)
    assert "holds 1e+300 at [1, 1], too large for f32" in result.stderr


def test_a_csv_cut_short_earns_a_note(tmp_path: Path) -> None:
    (tmp_path / "cut.csv").write_text("a,b,y\n1,2,0\n3,4,1\n5,6,1")
    result = mrun(tmp_path, 'let d = load("cut.csv")\nprint(len(d))\n')
    assert result.stdout == "3\n"
    one_note(result.stderr, "'cut.csv' does not end with a line break: its last row "
                            "(line 4) may be cut short")


# ------------------------------------------------------------------ models and data

MODEL = 'model M() = Linear(2, 3)\nseed(0)\nlet d = load("d.csv")\n'


@pytest.fixture
def data(tmp_path: Path) -> Path:
    rows = "".join(f"{i % 5 * 0.1},{i % 3 * 0.2},{i % 3}\n" for i in range(48))
    (tmp_path / "d.csv").write_text("a,b,y\n" + rows)
    (tmp_path / "far.csv").write_text("a,b,y\n0.1,0.2,0\n0.3,0.4,7\n")
    return tmp_path


def test_evaluate_refuses_labels_that_fit_refuses(data: Path) -> None:
    program = MODEL + 'let m = M()\nprint(evaluate(m, load("far.csv")))\n'
    result = mrun(data, program, expect=1)
    assert result.stderr.startswith("prog.m:5:7: error: metric \"accuracy\": label 7 is out "
                                    "of range [0, 3)"), result.stderr


def test_quantize_refuses_nan_weights(data: Path) -> None:
    weights = {"0.weight": torch.full((3, 2), float("nan")), "0.bias": torch.zeros(3)}
    safetensors.torch.save_file(weights, data / "w.safetensors")
    program = MODEL + 'let m = M()\nload_weights(m, "w.safetensors")\nlet q = quantize(m, "int8")\n'
    result = mrun(data, program, expect=1)
    expected = ("prog.m:6:9: error: cannot quantize weight '0.weight': it holds nan (6 of its "
                "6 values are not finite)")
    assert result.stderr.startswith(expected), result.stderr


def test_a_diverging_fit_earns_a_note(data: Path) -> None:
    result = mrun(data, MODEL + "let m = M()\nprint(fit(m, d, lr=1e10, epochs=3, batch=8))\n")
    assert float(result.stdout) > 1e6
    one_note(result.stderr, "training diverged; try a smaller lr (now 1e+10)")


def test_a_converging_fit_makes_no_note(data: Path) -> None:
    result = mrun(data, MODEL + "let m = M()\nprint(fit(m, d, lr=0.01, epochs=3))\n")
    assert result.stderr == ""


# ------------------------------------------------------------------- resource limits


class StopAfter:
    """An output stream that interrupts the program after `lines` prints."""

    def __init__(self, lines: int) -> None:
        self.lines: list[str] = []
        self.limit = lines

    def write(self, text: str) -> None:
        if text.strip():
            self.lines.append(text.strip())
            if len(self.lines) == self.limit:
                raise KeyboardInterrupt

    def flush(self) -> None:
        pass


def test_host_ranges_are_lazy() -> None:
    """`for i in 0..1000000000` starts at once: no list of a billion ints is built."""
    module = compile_source("for i in 0..1000000000 {\n    print(i)\n}\n", "prog.m")
    range_op = next(op for op in module.walk() if isinstance(op, host.RangeOp))
    # Checked first, so that a regression fails here instead of filling the memory.
    steps = interpreter.HANDLERS[host.RangeOp](None, range_op, [0, 10**6])  # type: ignore[arg-type]
    assert isinstance(steps, range) and len(steps) == 10**6
    out = StopAfter(3)
    with pytest.raises(KeyboardInterrupt):
        Interpreter(module, get_backend("reference"), out=out).run()  # type: ignore[arg-type]
    assert out.lines == ["0", "1", "2"]


def test_memory_error_at_run_time_is_located(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(*args: object) -> object:
        raise MemoryError

    monkeypatch.setitem(interpreter.HANDLERS, host.PrintOp, exhausted)
    result = mrun(tmp_path, 'let x = 1\nprint(x)\n', expect=1)
    assert result.stderr.startswith("prog.m:2:1: error: out of memory running this statement")


def test_memory_error_at_compile_time_is_located(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(*args: object) -> object:
        raise MemoryError

    monkeypatch.setattr(irgen.IRGen, "let", exhausted)
    result = mrun(tmp_path, 'print(1)\nlet x = 1\n', expect=1)
    assert result.stderr.startswith("prog.m:2:1: error: out of memory compiling this statement")
