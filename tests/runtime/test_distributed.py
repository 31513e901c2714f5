"""`mrun --nproc 2` with gloo, as real processes: the weights of one process, output once,
every evaluated row once, and an error on one rank that stops both with one message."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

from mlang.backends.torch.backend import TorchBackend
from mlang.runtime import distributed
from mlang.runtime.model_io import load_model

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}

MLP = """
model Mlp(features: int, hidden: int, classes: int) {
    fc1 = Linear(features, hidden)
    fc2 = Linear(hidden, classes)
    fn forward(x: f32[N, features]) -> f32[N, classes] {
        return fc2(relu(fc1(x)))
    }
}
"""

# 37 rows at batch 9: shards of 5 and 4 rows, and a last batch of one row, whose second
# shard is empty. Evaluation reads 101 rows (blocks of 51 and 50).
TRAIN = MLP + """
seed(0)
let data = load("rows.csv")
let net = Mlp(3, 6, 4)
fit(net, data[0:37], epochs=3, batch=9, lr=0.05)
save(net, "net.mpk")
print("loss", evaluate(net, data, metric="loss"))
print("rows", len(predict(net, data)))
"""


def mrun(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs `python -m mlang.run ARGS` in `cwd` (the generous timeout is the hang test)."""
    return subprocess.run([sys.executable, "-m", "mlang.run", *args], check=False, cwd=cwd,
                          capture_output=True, text=True, timeout=60, env=ENV)


def write_rows(folder: Path, ids: bool = False) -> None:
    """101 rows of three features and a class label in [0, 4)."""
    generator = torch.Generator().manual_seed(1)
    x = torch.randint(0, 5, (101, 3), generator=generator).float() if ids else \
        torch.randn(101, 3, generator=generator)
    y = torch.randint(0, 4, (101,), generator=generator)
    lines = ["a,b,c,label"] + [",".join(f"{v:g}" for v in row) + f",{int(label)}"
                               for row, label in zip(x.tolist(), y.tolist())]
    (folder / "rows.csv").write_text("\n".join(lines) + "\n")


def weights(folder: Path) -> dict[str, torch.Tensor]:
    """The parameters that the program saved."""
    return load_model(str(folder / "net.mpk"), TorchBackend(), "cpu").params


def test_two_processes_end_with_one_process_weights(tmp_path: Path) -> None:
    runs = {}
    for nproc in ("1", "2"):
        folder = tmp_path / nproc
        folder.mkdir()
        write_rows(folder)
        (folder / "prog.m").write_text(TRAIN)
        runs[nproc] = proc = mrun(folder, "--nproc", nproc, "prog.m")
        assert proc.returncode == 0, proc.stderr
    one, two = weights(tmp_path / "1"), weights(tmp_path / "2")
    for name, tensor in one.items():
        torch.testing.assert_close(two[name], tensor, rtol=1e-5, atol=1e-6)
    # Printed once, every row evaluated once: the same loss as one process, 101 rows.
    assert runs["2"].stdout == runs["1"].stdout
    assert runs["2"].stdout.count("rows 101\n") == 1


ERROR = """
model Bag(vocab: int, classes: int) {
    embed = Embedding(vocab, 4)
    head = Linear(4, classes)
    fn forward(x: i64[N, T]) -> f32[N, classes] {
        return head(mean(embed(x), axis=1))
    }
}
let data = load("rows.csv")
let net = Bag(5, 4)
print(evaluate(net, data))
"""


def test_an_error_on_rank_1_stops_both_with_one_message(tmp_path: Path) -> None:
    write_rows(tmp_path, ids=True)
    rows = (tmp_path / "rows.csv").read_text().splitlines()
    rows[-1] = "1,9,2,0"  # id 9 is outside the vocabulary, in rank 1's block of rows
    (tmp_path / "rows.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "prog.m").write_text(ERROR)
    proc = mrun(tmp_path, "--nproc", "2", "prog.m")
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("error:") == 1, proc.stderr
    # Nothing else: no line of libstdc++'s from a rank that exits while gloo's threads run.
    assert proc.stderr.startswith("prog.m:11:"), proc.stderr
    assert "out of range" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""



def test_a_worker_that_leaves_no_message_is_reported_with_its_last_words(tmp_path: Path) -> None:
    """A worker that fails outside the program (joining the group, say) writes no located
    message: mrun tells how each ended and the last line it wrote."""
    log = tmp_path / "logs" / "mlang-1_x" / "attempt_0" / "1" / "stderr.log"
    log.parent.mkdir(parents=True)
    log.write_text("Traceback (most recent call last):\n  ...\nDistNetworkError: refused\n\n")
    failures = {1: ProcessFailure(1, 11, 1, str(tmp_path / "none")),
                0: ProcessFailure(0, 10, -6, str(tmp_path / "none"))}
    message = distributed._failures(ChildFailedError("mlang.run", failures), tmp_path / "logs")
    assert message == ("error: worker process 0 was killed by SIGABRT\n"
                       "error: worker process 1 exited with status 1: DistNetworkError: refused\n")

# Every option of fit that acts across processes at once: validation and early stopping
# (every rank must stop at the same epoch), accumulation under DDP's no_sync, clipping and
# the schedule on the global gradient, and rank-0-only log rows and checkpoints, also
# inside an epoch (checkpoint_every=2: after every other optimizer step). The validation
# loss is best after epoch 1, so patience 2 stops after epoch 3 and restores epoch 1.
OPTIONS_FIT = """fit(net, data[0:37], epochs=5, batch=9, lr=0.3, val=data[37:101], metric="loss",
    patience=2, accumulate=2, clip=1.0, schedule="linear", warmup=2, log="log.csv",
    checkpoint="ckpt", checkpoint_every=2RESUME)
save(net, "net.mpk")
"""
OPTIONS = MLP + """
seed(0)
let data = load("rows.csv")
let net = Mlp(3, 6, 4)
""" + OPTIONS_FIT


def test_two_processes_with_validation_log_and_checkpoints(tmp_path: Path) -> None:
    for nproc in ("1", "2"):
        folder = tmp_path / nproc
        folder.mkdir()
        write_rows(folder)
        (folder / "prog.m").write_text(OPTIONS.replace("RESUME", ""))
        proc = mrun(folder, "--nproc", nproc, "prog.m")
        assert proc.returncode == 0, proc.stderr
    one, two = weights(tmp_path / "1"), weights(tmp_path / "2")
    for name, tensor in one.items():
        torch.testing.assert_close(two[name], tensor, rtol=1e-5, atol=1e-6)
    # Written once: one header and one row per epoch, the numbers of one process.
    logs = [(tmp_path / n / "log.csv").read_text().splitlines() for n in ("1", "2")]
    assert logs[1][0] == "epoch,loss,val_loss,lr,seconds" and logs[1].count(logs[1][0]) == 1
    assert [row.split(",")[0] for row in logs[1][1:]] == ["1", "2", "3"]
    for row_one, row_two in zip(logs[0][1:], logs[1][1:], strict=True):
        numbers = [[float(v) for v in row.split(",")[1:4]] for row in (row_one, row_two)]
        assert numbers[1] == pytest.approx(numbers[0], rel=1e-5)

    # Resumed in two processes from the checkpoint before the last: the same weights.
    folder = tmp_path / "2"
    newest = max((folder / "ckpt").glob("ckpt-*"))
    shutil.rmtree(newest)
    (folder / "net.mpk").unlink()
    (folder / "prog.m").write_text(OPTIONS.replace("RESUME", ", resume=true"))
    proc = mrun(folder, "--nproc", "2", "prog.m")
    assert proc.returncode == 0, proc.stderr
    for name, tensor in weights(folder).items():
        torch.testing.assert_close(tensor, two[name], rtol=1e-5, atol=1e-6)


def _share_text(rank: int, store: str, out: str) -> None:
    """One rank of a gloo group over a file store: what `text_from_main` gives it, where
    each rank would compute its own text (as train_tokenizer may)."""
    torch.distributed.init_process_group(
        "gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    try:
        Path(out, f"rank{rank}").write_text(distributed.text_from_main(lambda: f"rank {rank}"))
    finally:
        torch.distributed.destroy_process_group()


def test_every_rank_takes_rank_0s_text(tmp_path: Path) -> None:
    """`text_from_main` (how `train_tokenizer` gives every process rank 0's tokenizer)
    hands rank 0's string to both real processes."""
    torch.multiprocessing.spawn(_share_text, args=(str(tmp_path / "store"), str(tmp_path)),
                                nprocs=2)
    assert [(tmp_path / f"rank{r}").read_text() for r in (0, 1)] == ["rank 0", "rank 0"]
