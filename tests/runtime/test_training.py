"""fit, evaluate and predict on small synthetic tasks, with torch.nn models as Trainables."""

from __future__ import annotations

import sys

import pytest
import torch
from torch import nn

from mlang.runtime.datasets import Dataset
from mlang.runtime.training import evaluate, fit, predict
from mlang.support.diagnostics import UserError


class Net:
    """A Trainable over a torch.nn module, recording the training flag of each call."""

    def __init__(self, module: nn.Module) -> None:
        self.module = module
        self.loss_name = "cross_entropy"
        self.modes: list[bool] = []

    def parameters(self) -> dict[str, torch.Tensor]:
        return dict(self.module.named_parameters())

    def forward(self, x: torch.Tensor, training: bool) -> torch.Tensor:
        self.modes.append(training)
        return self.module(x)


def mlp() -> Net:
    return Net(nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2)))


def blobs(rows: int = 64) -> Dataset:
    """Two separable clusters in the plane, labelled 0 and 1."""
    generator = torch.Generator().manual_seed(0)
    y = torch.arange(rows) % 2
    x = torch.randn(rows, 2, generator=generator) * 0.3 + (y[:, None] * 2.0 - 1.0)
    return Dataset(x, y)


def line(rows: int = 40, integral: bool = False) -> Dataset:
    """A regression target `y = 3 x0 - x1`, rounded to whole numbers when `integral`."""
    x = torch.randn(rows, 2, generator=torch.Generator().manual_seed(1))
    y = 3 * x[:, 0] - x[:, 1]
    return Dataset(x, y.round().long() if integral else y)


@pytest.fixture(autouse=True)
def _seeded() -> None:
    torch.manual_seed(0)


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_fit_reduces_the_loss(optimizer: str) -> None:
    net, data = mlp(), blobs()
    before = evaluate(net, data, metric="loss")
    last = fit(net, data, optimizer=optimizer, lr=0.05, epochs=15, batch=16, weight_decay=1e-4)
    assert last < before / 2
    assert evaluate(net, data) == 1.0
    assert all(net.modes[1 : 1 + 15 * 4]) and net.loss_name == "cross_entropy"


def test_fit_returns_the_last_epoch_mean_loss() -> None:
    net, data = mlp(), blobs(10)
    # With lr tiny the weights barely move, so the epoch mean is the loss before training.
    before = evaluate(net, data, metric="loss")
    assert fit(net, data, optimizer="sgd", lr=1e-9, epochs=1, batch=3) == pytest.approx(before)


@pytest.mark.parametrize("integral", [False, True])
def test_fit_mse_reshapes_labels_to_the_output(integral: bool) -> None:
    net, data = Net(nn.Linear(2, 1)), line(integral=integral)
    before = evaluate(net, data, metric="mse")
    fit(net, data, loss="mse", lr=0.1, epochs=30, batch=8)
    assert net.loss_name == "mse"
    assert evaluate(net, data, metric="mse") < before / 10
    assert evaluate(net, data, metric="loss") == pytest.approx(evaluate(net, data, metric="mse"))


def test_seeded_runs_are_reproducible() -> None:
    results = []
    for _ in range(2):
        torch.manual_seed(7)
        net = mlp()
        results.append((fit(net, blobs(), epochs=2), net.module[0].weight.detach().clone()))
    assert results[0][0] == results[1][0] and results[0][1].equal(results[1][1])


def test_freeze_keeps_fields_fixed_and_restores_flags() -> None:
    module = nn.Sequential()
    module.add_module("body", nn.Linear(2, 8))
    module.add_module("head", nn.Linear(8, 2))
    net, frozen = Net(module), module.body.weight.detach().clone()
    head_before = module.head.weight.detach().clone()
    fit(net, blobs(), epochs=2, freeze=["body"], weight_decay=0.1, optimizer="adamw")
    assert module.body.weight.equal(frozen)
    assert not module.head.weight.equal(head_before)
    assert all(p.requires_grad and p.grad is None for p in module.parameters())


def test_freeze_of_an_unknown_field_lists_the_fields() -> None:
    with pytest.raises(UserError, match="cannot freeze 'fc9'.*its fields are 0, 2"):
        fit(mlp(), blobs(), freeze=["fc9"])


def test_freezing_everything_is_an_error() -> None:
    with pytest.raises(UserError, match="nothing to train"):
        fit(mlp(), blobs(), freeze=["0", "2"])


BAD_OPTIONS = [
    ({"loss": "hinge"}, "unknown loss 'hinge'; expected one of \"cross_entropy\", \"mse\""),
    ({"optimizer": "rmsprop"}, "unknown optimizer 'rmsprop'; expected one of \"adam\""),
    ({"lr": 0}, "lr must be a number > 0, got 0"),
    ({"lr": "fast"}, "lr must be a number > 0"),
    ({"lr": float("nan")}, "lr must be a number > 0"),
    ({"epochs": 0}, "epochs must be an integer >= 1, got 0"),
    ({"epochs": 2.5}, "epochs must be an integer >= 1"),
    ({"batch": True}, "batch must be an integer >= 1"),
    ({"weight_decay": -1.0}, "weight_decay must be a number >= 0"),
    ({"freeze": "0"}, "freeze must be a list of field names"),
]


@pytest.mark.parametrize(("options", "message"), BAD_OPTIONS)
def test_fit_rejects_bad_options(options: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=message.replace("(", r"\(")):
        fit(mlp(), blobs(), **options)  # type: ignore[arg-type]


def test_fit_rejects_empty_data_and_float_labels_for_cross_entropy() -> None:
    with pytest.raises(UserError, match="empty"):
        fit(mlp(), blobs().slice(0, 0))
    with pytest.raises(UserError, match='integer labels.*use loss="mse"'):
        fit(mlp(), line())


def test_nan_loss_names_the_epoch_and_batch() -> None:
    data = blobs(8)
    data.x[3, 0] = float("nan")
    with pytest.raises(UserError, match="loss became nan at epoch 1, batch 1"):
        fit(mlp(), data, batch=8)


def test_progress_bar_only_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fit(mlp(), blobs(), epochs=1)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    fit(mlp(), blobs(), epochs=1)
    captured = capsys.readouterr()
    assert "2/2" in captured.err and captured.out == ""


# ---------------------------------------------------------------------------- evaluate


class Echo:
    """A parameterless Trainable whose output is its input, so metrics see chosen outputs."""

    loss_name = "cross_entropy"

    def parameters(self) -> dict[str, torch.Tensor]:
        return {}

    def forward(self, x: torch.Tensor, training: bool) -> torch.Tensor:
        return x


LABELS = [0, 0, 1, 1, 2, 2, 2]
PREDICTED = [0, 1, 1, 1, 2, 0, 3]


def classified() -> Dataset:
    return Dataset(nn.functional.one_hot(torch.tensor(PREDICTED), 4).float(), torch.tensor(LABELS))


def hand_f1(labels: list[int], predicted: list[int]) -> float:
    """Macro F1 counted by hand over every class seen in either list."""
    scores = []
    for cls in sorted(set(labels) | set(predicted)):
        pairs = list(zip(labels, predicted))
        tp = sum(1 for y, p in pairs if y == cls and p == cls)
        fp = sum(1 for y, p in pairs if y != cls and p == cls)
        fn = sum(1 for y, p in pairs if y == cls and p != cls)
        scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores)


@pytest.mark.parametrize("batch", [1, 3, 256])
def test_classification_metrics_by_hand(batch: int) -> None:
    data = classified()
    assert evaluate(Echo(), data, "accuracy", batch) == pytest.approx(4 / 7)
    # class 0: 2/4, class 1: 4/5, class 2: 2/4, class 3 (predicted only): 0.
    assert hand_f1(LABELS, PREDICTED) == pytest.approx(0.45)
    assert evaluate(Echo(), data, "f1", batch) == pytest.approx(0.45)
    expected = nn.functional.cross_entropy(data.x, data.y).item()
    assert evaluate(Echo(), data, "loss", batch) == pytest.approx(expected)


def test_regression_metrics_by_hand() -> None:
    data = Dataset(torch.tensor([[1.0], [2.0], [4.0]]), torch.tensor([1.5, 2.0, 2.0]))
    assert evaluate(Echo(), data, "mse", batch=2) == pytest.approx((0.25 + 0 + 4) / 3)
    assert evaluate(Echo(), data, "mae", batch=2) == pytest.approx((0.5 + 0 + 2) / 3)


def test_evaluate_errors() -> None:
    with pytest.raises(UserError, match="unknown metric 'auc'; expected one of \"accuracy\""):
        evaluate(Echo(), classified(), metric="auc")
    with pytest.raises(UserError, match='metric "accuracy" needs integer labels'):
        evaluate(Echo(), Dataset(torch.zeros(2, 2), torch.zeros(2)), metric="accuracy")
    with pytest.raises(UserError, match="batch must be"):
        evaluate(Echo(), classified(), batch=0)


def test_evaluate_runs_without_gradients_or_training() -> None:
    net = mlp()
    evaluate(net, blobs(), metric="accuracy")
    assert net.modes and not any(net.modes)
    assert all(p.grad is None for p in net.parameters().values())


# ---------------------------------------------------------------------------- predict


def test_predict_on_tensors_and_data_sets() -> None:
    net, data = mlp(), blobs(5)
    out = predict(net, data)
    assert out.shape == (5, 2) and not out.requires_grad
    assert predict(net, data.x).equal(out)
    assert net.modes == [False, False]
    with pytest.raises(UserError,
                       match="predict expects a tensor, a record or a data set, got list"):
        predict(net, [1, 2])  # type: ignore[arg-type]
