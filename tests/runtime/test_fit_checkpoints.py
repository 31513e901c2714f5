"""`fit(checkpoint=DIR, resume=true)`: atomic checkpoints that a cut never passes for whole,
and a resumed run, in process and after SIGKILL, that ends with an uninterrupted run's
weights bit for bit."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from mlang.runtime import checkpoints
from mlang.runtime.checkpoints import load_checkpoint, load_newest
from mlang.runtime.training import fit
from test_fit_options import Net, blobs, same
from test_host_programs import mrun

pytestmark = pytest.mark.usefixtures("one_thread")

OPTIONS = {"lr": 0.05, "epochs": 4, "batch": 8, "val": blobs(flip=True), "metric": "loss",
           "patience": 3, "schedule": "linear", "warmup": 3, "checkpoint_every": 2}


def trained(folder: Path, resume: bool = False, seed: int = 0) -> Net:
    """A dropout net trained with OPTIONS, checkpointing into `folder`."""
    net = Net(seed=seed, dropout=0.3)
    torch.manual_seed(7)
    fit(net, blobs(), checkpoint=str(folder), resume=resume, **OPTIONS)
    return net


def progress(path: Path) -> dict[str, int]:
    """The progress recorded in a checkpoint folder."""
    return json.loads((path / "state.json").read_text())["progress"]


def test_resume_from_mid_epoch_3_ends_with_the_uninterrupted_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "KEEP", 100)
    whole = trained(tmp_path / "whole").weights()
    # Keep checkpoints up to one inside epoch 3, as a run killed there would have left.
    folders = sorted((tmp_path / "whole").iterdir())
    cut = next(i for i, p in enumerate(folders)
               if progress(p)["epoch"] == 2 and progress(p)["batch"] > 0)
    for path in folders[cut + 1:]:
        shutil.rmtree(path)
    resumed = trained(tmp_path / "whole", resume=True, seed=3)  # other initial weights
    assert same(resumed.weights(), whole)


def test_resume_with_an_empty_folder_trains_from_the_start(tmp_path: Path) -> None:
    assert same(trained(tmp_path / "a", resume=True).weights(),
                trained(tmp_path / "b").weights())


def test_a_cut_checkpoint_is_never_loaded_as_whole(tmp_path: Path) -> None:
    trained(tmp_path / "run")
    older, newest = sorted((tmp_path / "run").iterdir())
    assert load_checkpoint(newest) is not None
    for name in ("model.safetensors", "state.safetensors", "state.json", "manifest.json"):
        data = (newest / name).read_bytes()
        for tenth in range(10):
            broken = tmp_path / f"broken-{name}-{tenth}"
            shutil.copytree(newest, broken)
            (broken / name).write_bytes(data[: len(data) * tenth // 10])
            assert load_checkpoint(broken) is None, (name, tenth)
            shutil.rmtree(broken)
    (newest / "state.json").write_bytes(b"{}")
    found = load_newest(str(tmp_path / "run"))
    assert found is not None and found.values["progress"] == progress(older)


PROGRAM = """\
model Net() {
    fc1 = Linear(4, 16)
    fc2 = Linear(16, 3)
    fn forward(x: f32[N, 4]) -> f32[N, 3] {
        return fc2(relu(fc1(x)))
    }
}
seed(0)
let net = Net()
fit(net, dataset("iris"), epochs=5, batch=10, lr=0.01, schedule="cosine", warmup=5,
    checkpoint="ckpt", checkpoint_every=2, resume=true)
save(net, "out.mpk")
"""

MRUN = [shutil.which("mrun") or sys.executable, *([] if shutil.which("mrun") else [
    "-c", "from mlang.tools.mrun import main; main()"])]
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def start(cwd: Path) -> subprocess.Popen[str]:
    """`mrun PROGRAM` in `cwd`, started as a process of its own."""
    (cwd / "prog.m").write_text(PROGRAM)
    return subprocess.Popen([*MRUN, "--backend", "torch", "prog.m"], cwd=cwd, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_epoch_3(cwd: Path, proc: subprocess.Popen[str]) -> None:
    """Returns once a checkpoint from inside epoch 3 exists (or the run has ended)."""
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        for path in (cwd / "ckpt").glob("ckpt-*") if (cwd / "ckpt").is_dir() else []:
            try:
                if progress(path)["epoch"] >= 2 and progress(path)["batch"] > 0:
                    return
            except (OSError, ValueError, KeyError):
                pass  # removed or being renamed meanwhile
        time.sleep(0.002)


def test_a_run_killed_mid_epoch_3_resumes_to_the_uninterrupted_weights(tmp_path: Path) -> None:
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    whole.mkdir()
    killed.mkdir()
    proc = start(killed)
    try:
        wait_for_epoch_3(killed, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL, proc.communicate()
    assert not (killed / "out.mpk").exists()
    # The resumed and the uninterrupted runs go in process: start-up is the slow part.
    mrun(killed, PROGRAM, "torch")
    mrun(whole, PROGRAM, "torch")
    expected, got = load_file(whole / "out.mpk"), load_file(killed / "out.mpk")
    assert same(got, expected)
