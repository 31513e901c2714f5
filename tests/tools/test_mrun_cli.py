"""The `mrun` command line, run as a real process: options, errors, Ctrl-C, seeding."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

MRUN = [shutil.which("mrun")] if shutil.which("mrun") else [
    sys.executable, "-c", "from mlang.tools.mrun import main; main()"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def mrun(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Runs `mrun ARGS` in `cwd`."""
    return subprocess.run([*MRUN, *args], check=False, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=ENV)


def write(directory: Path, text: str, name: str = "prog.m") -> str:
    (directory / name).write_text(text)
    return name


def assert_clean_error(proc: subprocess.CompletedProcess[str], status: int, fragment: str) -> None:
    assert proc.returncode == status, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    assert fragment in proc.stderr, proc.stderr


def test_help(tmp_path: Path) -> None:
    proc = mrun(tmp_path, "--help")
    assert proc.returncode == 0, proc.stderr
    for word in ("PROGRAM", "--backend", "reference", "--device", "cuda", "--seed"):
        assert word in proc.stdout
    assert mrun(tmp_path, "-h").stdout == proc.stdout


def test_runs_a_program_with_the_default_backend(tmp_path: Path) -> None:
    proc = mrun(tmp_path, write(tmp_path, 'print("hello", 1 + 2)\n'))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "hello 3\n"
    assert proc.stderr == ""


def test_triton_backend_runs(tmp_path: Path) -> None:
    """triton is a dev dependency, so `--backend triton` must run here: on a GPU, or without
    one under Triton's interpreter, with a warning."""
    proc = mrun(tmp_path, "--backend", "triton", write(tmp_path, 'print("hi")\n'))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "hi\n"
    if not torch.cuda.is_available():
        assert proc.stderr.startswith("warning: "), proc.stderr


def test_unknown_backend_name_is_a_usage_error(tmp_path: Path) -> None:
    proc = mrun(tmp_path, "--backend", "bogus", write(tmp_path, 'print("hi")\n'))
    # click's usage errors exit with status 2, as command-line tools conventionally do.
    assert_clean_error(proc, 2, "Invalid value for '--backend'")


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_cuda_without_a_device(tmp_path: Path) -> None:
    proc = mrun(tmp_path, "--device", "cuda", write(tmp_path, 'print("hi")\n'))
    assert_clean_error(proc, 1, "no CUDA device is available")
    assert proc.stdout == ""


def test_missing_program(tmp_path: Path) -> None:
    proc = mrun(tmp_path, "nothere.m")
    assert_clean_error(proc, 1, "cannot read 'nothere.m'")


def test_a_directory_as_the_program_is_an_error_like_a_missing_file(tmp_path: Path) -> None:
    (tmp_path / "dir.m").mkdir()
    proc = mrun(tmp_path, "dir.m")
    assert_clean_error(proc, 1, "cannot read 'dir.m': Is a directory")


def test_a_seed_beyond_64_bits_is_a_usage_error(tmp_path: Path) -> None:
    proc = mrun(tmp_path, "--seed", str(2**64), write(tmp_path, 'print("hi")\n'))
    assert_clean_error(proc, 2, "Invalid value for '--seed'")


def test_compile_error_is_located(tmp_path: Path) -> None:
    proc = mrun(tmp_path, write(tmp_path, 'print("ok")\nlet x = y + 1\n'))
    assert_clean_error(proc, 1, "prog.m:2:9: error: ")
    assert proc.stdout == ""  # nothing runs when the program does not compile
    assert proc.stderr.splitlines()[1:] == ["let x = y + 1", "        ^"]


LONG_FIT = """model M() = Linear(4, 3)
let m = M()
print("training")
fit(m, dataset("iris"), epochs=100000)
print("done")
"""


DEFAULT_SIGINT = [sys.executable, "-c",
                  ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                   "os.execv(sys.argv[1], sys.argv[1:])")]
"""Runs its arguments with SIGINT's default action, as a terminal's foreground job has it.
A command started in the background by a shell without job control (`pytest ... &` in a
script) inherits SIGINT ignored; Python then installs no KeyboardInterrupt handler, and an
mrun started from it rightly ignores Ctrl-C like any background job (it trained on, wrote
nothing and never exited in such CI runs). `preexec_fn` would do it with no extra process,
but is unsafe in a process with threads (pytest-xdist's workers have some)."""


def test_ctrl_c_exits_130_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.Popen([*DEFAULT_SIGINT, *MRUN, "--backend", "reference",
                             write(tmp_path, LONG_FIT)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV)
    try:
        # Wait until the program runs (start-up imports take a few seconds), then let it
        # train for a moment before interrupting it.
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "mrun printed nothing within 60 s"
        assert proc.stdout.readline() == "training\n"
        time.sleep(1.5)
        assert proc.poll() is None, "the fit finished too early"
        proc.send_signal(signal.SIGINT)
        # generous: under a loaded CI machine a process can wait long for a core
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, (proc.returncode, stderr)
    assert "Traceback" not in stderr, stderr
    assert "KeyboardInterrupt" not in stderr, stderr
    assert "done" not in stdout


SEEDED = """model M() = Linear(4, 3) |> relu |> Linear(3, 2)
let m = M()
print(predict(m, ones([2, 4])))
print(params(m))
print(randn([3]))
"""


def test_seed_option_makes_runs_repeatable(tmp_path: Path) -> None:
    program = write(tmp_path, SEEDED)
    # The three runs are independent: start them together to save wall time.
    procs = [subprocess.Popen([*MRUN, "--backend", "reference", "--seed", seed, program],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=ENV) for seed in ("5", "5", "6")]
    outputs = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
        outputs.append(stdout)
    first, second, other = outputs
    assert first == second
    assert first != other
    assert len(first.splitlines()) >= 4
    # Initialisation and randn both draw from the seeded generator.
    assert first.splitlines()[0] != other.splitlines()[0]
    assert first.splitlines()[-1] != other.splitlines()[-1]


def test_closed_stdout_is_not_an_error(tmp_path: Path) -> None:
    """`mrun prog.m | head -1`: the pipe closing early ends mrun quietly."""
    program = write(tmp_path, "for i in 0..20000 {\n    print(i)\n}\n")
    proc = subprocess.Popen([*MRUN, program], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=ENV)
    assert proc.stdout.readline() == b"0\n"
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in stderr, stderr
    assert proc.returncode == 0, (proc.returncode, stderr)
