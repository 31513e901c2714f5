"""The training options of M 0.2 section 6 (validation, early stopping, schedules, clip,
accumulate, bf16, the optimizer state kept between calls), with torch.nn Trainables."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image
from torch import nn
from transformers import (
    get_constant_schedule_with_warmup, get_cosine_schedule_with_warmup,
    get_linear_schedule_with_warmup,
)

from mlang.runtime import training
from mlang.runtime.datasets import Dataset
from mlang.runtime.training import evaluate, fit
from mlang.support.diagnostics import UserError
from test_host_programs import failure, mrun

pytestmark = pytest.mark.usefixtures("one_thread")


class Net:
    """A Trainable over a torch.nn module that honours the training flag and keeps a copy
    of its weights at each evaluation (`fit` evaluates `val` after every epoch)."""

    def __init__(self, seed: int = 0, dropout: float = 0.0) -> None:
        torch.manual_seed(seed)
        self.module = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Dropout(dropout),
                                    nn.Linear(8, 2))
        self.loss_name = "cross_entropy"
        self.evaluated: list[dict[str, torch.Tensor]] = []

    def parameters(self) -> dict[str, torch.Tensor]:
        return dict(self.module.named_parameters())

    def forward(self, x: torch.Tensor, training: bool) -> torch.Tensor:
        self.module.train(training)
        if not training:
            self.evaluated.append(self.weights())
        return self.module(x)

    def weights(self) -> dict[str, torch.Tensor]:
        return {name: p.detach().clone() for name, p in self.parameters().items()}


def blobs(rows: int = 40, flip: bool = False) -> Dataset:
    """Two separable clusters labelled 0 and 1 (1 and 0 when `flip`)."""
    generator = torch.Generator().manual_seed(0)
    y = torch.arange(rows) % 2
    x = torch.randn(rows, 2, generator=generator) * 0.3 + (y[:, None] * 2.0 - 1.0)
    return Dataset(x, 1 - y if flip else y)


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    """Bit-for-bit equal weights."""
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_early_stopping_restores_the_best_epochs_weights(tmp_path: Path) -> None:
    # Validation labels are the training labels flipped: the better the fit, the worse
    # the validation loss, so epoch 1 is the best and patience 2 stops after epoch 3.
    net, log = Net(), tmp_path / "log.csv"
    fit(net, blobs(), optimizer="sgd", lr=0.5, epochs=10, batch=8, val=blobs(flip=True),
        metric="loss", patience=2, log=str(log))
    rows = list(csv.DictReader(log.open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    scores = [float(r["val_loss"]) for r in rows]
    assert scores[0] < scores[1] < scores[2]
    assert same(net.weights(), net.evaluated[0])
    assert not same(net.weights(), net.evaluated[-1])


def test_validation_without_patience_only_logs(tmp_path: Path) -> None:
    net, log = Net(), tmp_path / "log.csv"
    fit(net, blobs(), lr=0.05, epochs=3, batch=8, val=blobs(), log=str(log))
    rows = list(csv.DictReader(log.open()))
    assert list(rows[0]) == ["epoch", "loss", "val_accuracy", "lr", "seconds"]
    assert len(rows) == 3 and same(net.weights(), net.evaluated[-1])
    assert float(rows[-1]["val_accuracy"]) == evaluate(net, blobs())


class RecordingSGD(torch.optim.SGD):
    """SGD that records the learning rate of every step."""

    rates: list[float] = []

    def step(self, closure: Any = None) -> Any:
        RecordingSGD.rates.append(self.param_groups[0]["lr"])
        return super().step(closure)


HF_SCHEDULES = {
    "constant": lambda opt, warmup, total: get_constant_schedule_with_warmup(opt, warmup),
    "linear": get_linear_schedule_with_warmup,
    "cosine": get_cosine_schedule_with_warmup,
}


@pytest.mark.parametrize("schedule", list(HF_SCHEDULES))
@pytest.mark.parametrize("accumulate", [1, 2])
def test_schedule_learning_rates_equal_transformers(
    schedule: str, accumulate: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(training._OPTIMIZER_CLASSES, "sgd", RecordingSGD)
    RecordingSGD.rates = []
    fit(Net(), blobs(), optimizer="sgd", lr=0.1, epochs=3, batch=8, schedule=schedule,
        warmup=4, accumulate=accumulate)
    steps = 3 * -(-5 // accumulate)  # 5 batches an epoch, the last group may be short
    reference = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = HF_SCHEDULES[schedule](reference, 4, steps)
    expected = []
    for _ in range(steps):
        expected.append(reference.param_groups[0]["lr"])
        reference.step()
        scheduler.step()
    assert RecordingSGD.rates == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_accumulating_batches_equals_one_larger_batch() -> None:
    small, large = Net(), Net()
    torch.manual_seed(5)
    fit(small, blobs(), optimizer="sgd", lr=0.1, epochs=2, batch=4, accumulate=2)
    torch.manual_seed(5)
    fit(large, blobs(), optimizer="sgd", lr=0.1, epochs=2, batch=8)
    for name, p in large.weights().items():
        torch.testing.assert_close(small.weights()[name], p)


def test_clip_bounds_the_gradient_norm() -> None:
    net = Net()
    before = net.weights()
    fit(net, blobs(), optimizer="sgd", lr=1.0, epochs=1, batch=40, clip=0.01)
    moved = torch.cat([(net.weights()[k] - before[k]).flatten() for k in before])
    assert 0 < moved.norm() <= 0.01 + 1e-6


def test_bf16_training_reduces_the_loss() -> None:
    net, data = Net(), blobs()
    before = evaluate(net, data, metric="loss")
    fit(net, data, lr=0.05, epochs=10, batch=8, precision="bf16")
    assert evaluate(net, data, metric="loss") < before / 2
    assert all(p.dtype == torch.float32 for p in net.parameters().values())


def test_optimizer_state_carries_over_on_the_same_model_and_data() -> None:
    data = blobs()
    twice, once, fresh = Net(), Net(), Net()
    torch.manual_seed(1)
    fit(twice, data, epochs=1, batch=8, lr=0.01)
    fit(twice, data, epochs=1, batch=8, lr=0.01)
    torch.manual_seed(1)
    fit(once, data, epochs=2, batch=8, lr=0.01)
    assert same(twice.weights(), once.weights())
    # Another data set object starts the optimizer afresh (Adam's first steps differ).
    torch.manual_seed(1)
    fit(fresh, data, epochs=1, batch=8, lr=0.01)
    fit(fresh, blobs(), epochs=1, batch=8, lr=0.01)
    assert not same(fresh.weights(), once.weights())


@pytest.mark.parametrize(("options", "message"), [
    ({"schedule": "step"}, "unknown schedule 'step'"),
    ({"clip": -1.0}, "clip must be a number > 0"),
    ({"warmup": -2}, "warmup must be an integer >= 0"),
    ({"accumulate": 0}, "accumulate must be an integer >= 1"),
    ({"patience": 2}, "patience needs val="),
    ({"metric": "f1"}, "metric needs val="),
    ({"resume": True}, "resume=true needs checkpoint=DIR"),
    ({"checkpoint_every": 3}, "checkpoint_every needs checkpoint="),
    ({"precision": "fp8"}, "unknown precision 'fp8'"),
])
def test_bad_options_are_user_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(UserError, match=message):
        fit(Net(), blobs(), epochs=1, **options)


PROGRAM = """\
model Net() = Linear(4, 8) |> relu |> Linear(8, 3)
seed(0)
let (train, val) = split(dataset("iris"), 0.8)
let net = Net()
"""


def test_a_program_validates_warms_up_stops_early_logs_and_plots(tmp_path: Path) -> None:
    out = mrun(tmp_path, PROGRAM + """\
let loss = fit(net, train, epochs=6, lr=0.01, val=val, patience=2, schedule="linear",
               warmup=5, clip=1.0, accumulate=2, log="log.csv")
plot("log.csv", "curves.png")
print(loss > 0.0)
""", "torch")
    assert out == "true\n"
    rows = list(csv.DictReader((tmp_path / "log.csv").open()))
    assert 1 <= len(rows) <= 6 and list(rows[0])[2] == "val_accuracy"
    with Image.open(tmp_path / "curves.png") as image:
        assert image.format == "PNG" and image.size[0] > 100


@pytest.mark.parametrize(("call", "message"), [
    ('fit(net, train, schedule="step")', "5:17: error: unknown schedule 'step'"),
    ("fit(net, train, clip=-1.0)", "5:17: error: clip must be positive, got -1.0"),
    ("fit(net, train, patience=2)", "5:17: error: patience needs val="),
    ("fit(net, train, resume=true)", "5:17: error: resume needs checkpoint="),
    ('fit(net, train, precision="fp8")', "5:17: error: unknown precision 'fp8'"),
    ('plot("missing.csv", "c.png")', "5:1: error: cannot plot 'missing.csv': no such file"),
])
def test_bad_options_in_a_program_are_located_errors(
    tmp_path: Path, call: str, message: str
) -> None:
    output = failure(tmp_path, PROGRAM + call + "\n", "p.m")
    assert f"p.m:{message}" in output, output


def test_a_run_time_option_is_checked_when_it_runs(tmp_path: Path) -> None:
    output = failure(tmp_path, PROGRAM + 'let c = 0.0 - len(val)\nfit(net, train, clip=c)\n', "p.m")
    assert "p.m:6:1: error: clip must be a number > 0, got -30.0" in output, output
