"""Training and evaluation of models: the `fit`, `evaluate` and `predict` built-ins.

The interpreter hands these functions a `Trainable`, an object that exposes a model's
parameters and forward function; everything else (batching, shuffling, optimisers,
losses, metrics, the progress bar) lives here.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

import torch
from torch.nn import functional as F
from tqdm import tqdm

from mlang.backends.reference import functional
from mlang.runtime import distributed
from mlang.runtime.datasets import Dataset
from mlang.runtime.notes import note
from mlang.support.diagnostics import UserError
from mlang.support.language_options import LOSSES, METRICS, OPTIMIZERS


LOSS_GROWTH_NOTE = 100.0
"""A loss this many times its first batch's value at the end of `fit` earns a note: training
that diverges (a learning rate far too high) rarely stops at a non-finite value."""

class _OptimizerClass(Protocol):
    """A torch optimizer's constructor, called with the options `fit` takes."""

    def __call__(self, params: list[torch.Tensor], *, lr: float,
                 weight_decay: float) -> torch.optim.Optimizer:
        """An optimizer of `params`."""
        ...


_OPTIMIZER_CLASSES: dict[str, _OptimizerClass] = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
}


Output = torch.Tensor | tuple[torch.Tensor, ...]
"""What a forward method gives: its one result, or a tuple of its results."""

LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""A loss: the mean over a batch of the output against the labels."""


class Trainable(Protocol):
    """A model as the runtime sees it: named parameters and a forward function."""

    loss_name: str
    """The loss `fit` last trained with (default "cross_entropy"); `evaluate(loss)` uses it."""

    def parameters(self) -> dict[str, torch.Tensor]:
        """Leaf tensors by PyTorch-style dotted name ("fc1.weight"), in declaration order."""
        ...

    def forward(self, x: torch.Tensor, training: bool) -> Output:
        """The model's output for a batch `x` (a tuple for several results); `training`
        enables dropout."""
        ...


def fit(
    model: Trainable,
    data: Dataset,
    loss: str = "cross_entropy",
    optimizer: str = "adam",
    lr: float = 0.001,
    epochs: int = 10,
    batch: int = 32,
    freeze: Sequence[str] = (),
    weight_decay: float = 0.0,
) -> float:
    """Trains `model` in place on `data` and returns the last epoch's mean loss per sample."""
    _check_choice("loss", loss, LOSSES)
    _check_choice("optimizer", optimizer, OPTIMIZERS)
    _check_number("lr", lr, positive=True)
    _check_number("weight_decay", weight_decay, positive=False)
    _check_count("epochs", epochs)
    _check_count("batch", batch)
    _check_data(data)
    model = distributed.replica(model)
    params = model.parameters()
    trainable = _trainable_names(params, freeze)
    model.loss_name = loss
    optim = _OPTIMIZER_CLASSES[optimizer](
        [params[name] for name in trainable], lr=lr, weight_decay=weight_decay
    )
    saved_flags = {name: p.requires_grad for name, p in params.items()}
    try:
        for name, p in params.items():
            p.requires_grad_(name in trainable)
        final, first = _train(model, data, _step_loss(loss, data.y), optim, epochs, batch)
    finally:
        for name, p in params.items():
            p.requires_grad_(saved_flags[name])
            p.grad = None
    if final > LOSS_GROWTH_NOTE * first > 0:
        note(f"the loss grew from {first:.4g} (first batch) to {final:.4g} (last epoch): "
             f"training diverged; try a smaller lr (now {lr:g})")
    return final


def evaluate(model: Trainable, data: Dataset, metric: str = "accuracy", batch: int = 256) -> float:
    """One number for `model` on `data`: accuracy, loss, mse, mae or macro f1."""
    _check_choice("metric", metric, METRICS)
    _check_count("batch", batch)
    _check_data(data)
    rows = distributed.block(len(data))
    mine = data.slice(rows.start, rows.stop)
    with torch.no_grad():
        # A rank whose block is empty still runs one (empty) batch, for the output's shape.
        batches = list(_batches(mine, batch)) or [(mine.x, mine.y)]
        outputs = torch.cat([_forward(model, xb, False).cpu() for xb, _ in batches])
    outputs = distributed.gather(outputs)
    return _METRIC_FUNCTIONS[metric](model, outputs, data.y)


def predict(model: Trainable, x: torch.Tensor | Dataset) -> Output:
    """The model's output for a tensor or a data set's features, without training
    behaviour: a tuple when forward returns several values."""
    if isinstance(x, Dataset):
        x = x.x
    if not isinstance(x, torch.Tensor):
        raise UserError(f"predict expects a tensor or a data set, got {type(x).__name__}")
    with torch.no_grad():
        out = _outputs(model, x[distributed.block(len(x))] if x.dim() else x, False)
    if not x.dim():
        return out
    return tuple(map(distributed.gather, out)) if isinstance(out, tuple) else distributed.gather(out)


# --------------------------------------------------------------------- training loop


def _train(
    model: Trainable,
    data: Dataset,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optim: torch.optim.Optimizer,
    epochs: int,
    batch: int,
) -> tuple[float, float]:
    """The epoch loop; returns the last epoch's mean loss and the first batch's loss."""
    steps = -(-len(data) // batch)
    shown = sys.stderr.isatty() and distributed.is_main()
    bar = tqdm(total=epochs * steps, file=sys.stderr, disable=not shown, leave=False)
    mean_loss = first = math.nan
    with bar:
        for epoch in range(1, epochs + 1):
            mean_loss, start = _train_epoch(model, data, loss_fn, optim, epoch, batch, bar)
            first = start if epoch == 1 else first
            bar.set_postfix(epoch=epoch, loss=f"{mean_loss:.4g}")
    return mean_loss, first


def _train_epoch(
    model: Trainable,
    data: Dataset,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optim: torch.optim.Optimizer,
    epoch: int,
    batch: int,
    bar: tqdm,
) -> tuple[float, float]:
    """One pass over the shuffled data; returns the mean loss per sample and the loss of
    the first batch."""
    # The global generator, so that `seed(n)` makes the order reproducible; in several
    # processes, each takes its shard of every batch of rank 0's order.
    order = distributed.same_order(torch.randperm(len(data)))
    total = first = 0.0
    for number, start in enumerate(range(0, len(data), batch), start=1):
        rows = order[start : start + batch]
        mine = distributed.shard(rows)
        value = _shard_loss(model, loss_fn, data.x[mine], data.y[mine])
        loss = value.item()  # the step's one synchronisation
        if not math.isfinite(loss):
            raise UserError(f"loss became {loss} at epoch {epoch}, batch {number}")
        optim.zero_grad()
        weight = distributed.loss_weight(len(mine), len(rows))
        torch.autograd.backward(value if weight == 1.0 else value * weight)
        optim.step()
        total += loss * len(mine)
        first = loss * len(mine) / len(rows) if number == 1 else first
        bar.update(1)
    total, first = distributed.sum_over_ranks([total, first])
    return total / len(data), first


def _shard_loss(
    model: Trainable,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    xb: torch.Tensor,
    yb: torch.Tensor,
) -> torch.Tensor:
    """The mean loss of a batch; zero (with gradients) for the empty shard that a rank gets
    when a batch has fewer rows than there are processes."""
    output = _forward(model, xb, True)
    return loss_fn(output, yb) if len(xb) else output.sum() * 0.0


def _batches(data: Dataset, batch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """`(x, y)` batches of at most `batch` rows, as stored."""
    for start in range(0, len(data), batch):
        yield data.x[start : start + batch], data.y[start : start + batch]


def _forward(model: Trainable, x: torch.Tensor, training: bool) -> torch.Tensor:
    """The model's one output for `x`: a loss or a metric needs a forward with one result."""
    out = _outputs(model, x, training)
    if isinstance(out, tuple):
        raise UserError(f"fit and evaluate need a forward method that returns one tensor; "
                        f"this one returns {len(out)} values")
    return out


def _outputs(model: Trainable, x: torch.Tensor, training: bool) -> Output:
    """Runs the model on `x`, moved to the device that holds the model's parameters."""
    device = next((p.device for p in model.parameters().values()), x.device)
    return model.forward(x if x.device == device else x.to(device), training)


def _trainable_names(params: dict[str, torch.Tensor], freeze: Sequence[str]) -> set[str]:
    """The floating-point parameters outside the frozen fields; each frozen field must exist."""
    if isinstance(freeze, str) or not all(isinstance(f, str) for f in freeze):
        raise UserError(f"freeze must be a list of field names, got {freeze!r}")
    for field in freeze:
        if not any(name.startswith(f"{field}.") for name in params):
            fields = sorted({name.split(".")[0] for name in params})
            raise UserError(
                f"cannot freeze '{field}': the model has no field of that name with "
                f"parameters; its fields are {', '.join(fields) or '(none)'}"
            )
    # Integer tensors (quantized weights) cannot take gradients, so they stay fixed too.
    trainable = {
        name
        for name, p in params.items()
        if p.is_floating_point() and not any(name.startswith(f"{f}.") for f in freeze)
    }
    if not trainable:
        raise UserError("nothing to train: the model has no parameters outside frozen fields")
    return trainable


# ---------------------------------------------------------------- losses and metrics


def _cross_entropy(output: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the output's last dimension against integer labels."""
    if labels.is_floating_point():
        raise UserError(
            "loss cross_entropy needs integer labels but this data set's labels are "
            'floats; use loss="mse" for regression'
        )
    return functional.cross_entropy(output, labels.to(output.device))


def _step_loss(name: str, labels: torch.Tensor) -> LossFunction:
    """The loss of each training step over a data set's `labels`: cross-entropy checks
    every label once, at the first batch, rather than each batch's labels at each step
    (a check that costs a tenth of a small model's step)."""
    if name != "cross_entropy":
        return _LOSS_FUNCTIONS[name]
    checked: list[int] = []

    def loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        classes = output.shape[-1]
        if checked != [classes]:
            _cross_entropy(output.new_zeros((labels.numel(), classes)), labels)
            checked[:] = [classes]
        return F.cross_entropy(output.reshape(-1, classes),
                               target.reshape(-1).to(output.device, torch.long))

    return loss


def _mse(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error, the target shaped like the output (`[N]` against `[N, 1]`)."""
    return functional.mse(output, _like(target, output))


def _like(target: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    """`target` reshaped to the output's shape and converted to its dtype and device."""
    if target.numel() != output.numel():
        raise UserError(
            f"the model's output has shape {list(output.shape)}, which does not match "
            f"the labels' shape {list(target.shape)}"
        )
    return target.reshape(output.shape).to(device=output.device, dtype=output.dtype)


def _accuracy(model: Trainable, output: torch.Tensor, labels: torch.Tensor) -> float:
    """The fraction of rows whose arg-max output equals the label."""
    predicted = _predicted_classes(output, labels, "accuracy")
    return (predicted == labels).double().mean().item()


def _f1(model: Trainable, output: torch.Tensor, labels: torch.Tensor) -> float:
    """Macro F1 over every class present in the labels or the predictions."""
    predicted = _predicted_classes(output, labels, "f1")
    scores: list[float] = []
    for cls in torch.unique(torch.cat([labels, predicted])):
        tp = ((predicted == cls) & (labels == cls)).sum().item()
        fp = ((predicted == cls) & (labels != cls)).sum().item()
        fn = ((predicted != cls) & (labels == cls)).sum().item()
        scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores)


def _loss_metric(model: Trainable, output: torch.Tensor, labels: torch.Tensor) -> float:
    """The loss that `fit` trained with, as the mean over every row."""
    name = getattr(model, "loss_name", "cross_entropy")
    return _LOSS_FUNCTIONS[name](output, labels).item()


def _mse_metric(model: Trainable, output: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean squared error between output and labels."""
    return (output - _like(labels, output)).pow(2).mean().item()


def _mae_metric(model: Trainable, output: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean absolute error between output and labels."""
    return (output - _like(labels, output)).abs().mean().item()


def _predicted_classes(output: torch.Tensor, labels: torch.Tensor, metric: str) -> torch.Tensor:
    """The arg-max of the output's last dimension, one class per label."""
    if labels.is_floating_point():
        raise UserError(f'metric "{metric}" needs integer labels; use "mse" or "mae"')
    predicted = output.argmax(-1)
    if predicted.shape != labels.shape:
        raise UserError(
            f'metric "{metric}": the model\'s output {list(output.shape)} does not give '
            f"one class per label {list(labels.shape)}"
        )
    classes = output.shape[-1]
    outside = labels[(labels < 0) | (labels >= classes)]
    if outside.numel():
        # fit refuses such labels too; scoring them would count every one as wrong.
        raise UserError(f'metric "{metric}": label {int(outside[0])} is out of range '
                        f"[0, {classes}) for the model's {classes} classes")
    return predicted


_LOSS_FUNCTIONS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "cross_entropy": _cross_entropy,
    "mse": _mse,
}

_METRIC_FUNCTIONS: dict[str, Callable[[Trainable, torch.Tensor, torch.Tensor], float]] = {
    "accuracy": _accuracy,
    "loss": _loss_metric,
    "mse": _mse_metric,
    "mae": _mae_metric,
    "f1": _f1,
}


# --------------------------------------------------------------------- option checks


def _check_choice(option: str, value: object, allowed: Sequence[str]) -> None:
    """Raises a `UserError` unless `value` is one of `allowed`."""
    if value not in allowed:
        choices = ", ".join(f'"{a}"' for a in allowed)
        raise UserError(f"unknown {option} {value!r}; expected one of {choices}")


def _check_number(option: str, value: object, positive: bool) -> None:
    """Raises a `UserError` unless `value` is a finite number, > 0 or >= 0."""
    in_range = (isinstance(value, (int, float)) and not isinstance(value, bool)
                and math.isfinite(value) and (value > 0 if positive else value >= 0))
    if not in_range:
        bound = "> 0" if positive else ">= 0"
        raise UserError(f"{option} must be a number {bound}, got {value!r}")


def _check_count(option: str, value: object) -> None:
    """Raises a `UserError` unless `value` is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserError(f"{option} must be an integer >= 1, got {value!r}")


def _check_data(data: object) -> None:
    """Raises a `UserError` unless `data` is a non-empty data set."""
    if not isinstance(data, Dataset):
        raise UserError(f"expected a data set, got {type(data).__name__}")
    if len(data) == 0:
        raise UserError("the data set is empty")
