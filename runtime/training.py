"""Training and evaluation of models: the `fit`, `evaluate` and `predict` built-ins.

The interpreter hands these functions a `Trainable`, an object that exposes a model's
parameters and forward function; everything else (batching, shuffling, optimisers,
losses, metrics, the progress bar) lives here.
"""

from __future__ import annotations

import contextlib
import csv
import math
import random
import sys
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch
from torch.nn import functional as F
from tqdm import tqdm
from xdsl.dialects.builtin import TensorType

from mlang.backends.reference import functional
from mlang.dialects.model.types import dtype_name, shape_of
from mlang.runtime import distributed
from mlang.runtime.checkpoints import Checkpoint, load_newest, save_checkpoint
from mlang.runtime.datasets import Dataset, Features, record_arguments, row_count, take_rows
from mlang.runtime.model import ModelInstance, m_dtype, sizes_fit
from mlang.runtime.notes import note
from mlang.runtime.schedules import SCHEDULES
from mlang.support.diagnostics import UserError
from mlang.support.shapes import fmt_shape
from mlang.support.language_options import LOSSES, METRICS, OPTIMIZERS, PRECISIONS

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

    def forward(self, x: Features, training: bool) -> Output:
        """The model's output for a batch `x`, a tensor or a record (a tuple for several
        results); `training` enables dropout."""
        ...


@runtime_checkable
class HasBuffers(Protocol):
    """A Trainable with buffers besides its parameters (batch norms' running statistics):
    state that checkpoints and early stopping keep, but that no optimizer updates."""

    def state(self) -> dict[str, torch.Tensor]:
        """Parameters and buffers by dotted name, as PyTorch's `state_dict`."""
        ...


def saved_state(model: Trainable) -> dict[str, torch.Tensor]:
    """What a checkpoint or early stopping keeps of `model`: parameters and buffers."""
    return model.state() if isinstance(model, HasBuffers) else model.parameters()


@dataclass(frozen=True)
class FitOptions:
    """The options of `fit` (M-LANGUAGE-0.2.md section 6), with the spec's defaults."""

    loss: str = "cross_entropy"
    optimizer: str = "adam"
    lr: float = 0.001
    epochs: int = 10
    batch: int = 32
    freeze: Sequence[str] = ()
    weight_decay: float = 0.0
    val: Dataset | None = None
    metric: str | None = None
    """The validation metric; None picks accuracy for cross_entropy, else the loss."""
    patience: int | None = None
    schedule: str = "constant"
    warmup: int = 0
    clip: float | None = None
    accumulate: int = 1
    log: str | None = None
    precision: str = "fp32"
    checkpoint: str | None = None
    checkpoint_every: int | None = None
    resume: bool = False

    @property
    def val_metric(self) -> str:
        """The metric that `val` is scored with."""
        if self.metric is not None:
            return self.metric
        return "accuracy" if self.loss == "cross_entropy" else "loss"


def fit(model: Trainable, data: Dataset, **options: Any) -> float:
    """Trains `model` in place on `data` with the keyword `options` of `FitOptions` and
    returns the last epoch's mean loss per sample."""
    opts = FitOptions(**options)
    _check_options(opts)
    _check_data(data)
    check_features(model, data.inputs)
    if opts.val is not None:
        check_features(model, opts.val.inputs)
    # In several processes the replica's parameters share storage with the model's: the
    # optimizer steps the model, whose kept optimizer state stays keyed by the model.
    replica = distributed.replica(model)
    params = replica.parameters()
    trainable = _trainable_names(params, opts.freeze)
    model.loss_name = opts.loss
    optim = _optimizer(model, data, params, trainable, opts)
    saved_flags = {name: p.requires_grad for name, p in params.items()}
    try:
        for name, p in params.items():
            p.requires_grad_(name in trainable)
        run = _Run(model, replica, data, opts, optim,
                   [p for name, p in params.items() if name in trainable])
        final, first = run.train()
    finally:
        for name, p in params.items():
            p.requires_grad_(saved_flags[name])
            p.grad = None
    _keep_optimizer_state(model, data, trainable, opts, optim)
    if final > LOSS_GROWTH_NOTE * first > 0:
        note(f"the loss grew from {first:.4g} (first batch) to {final:.4g} (last epoch): "
             f"training diverged; try a smaller lr (now {opts.lr:g})")
    return final


def evaluate(model: Trainable, data: Dataset, metric: str = "accuracy", batch: int = 256) -> float:
    """One number for `model` on `data`: accuracy, loss, mse, mae or macro f1."""
    _check_choice("metric", metric, METRICS)
    _check_count("batch", batch)
    _check_data(data)
    check_features(model, data.inputs)
    rows = distributed.block(len(data))
    mine = data.slice(rows.start, rows.stop)
    with torch.no_grad():
        # A rank whose block is empty still runs one (empty) batch, for the output's shape.
        batches = list(_batches(mine, batch)) or [(mine.inputs, mine.y)]
        outputs = torch.cat([_forward(model, xb, False).cpu() for xb, _ in batches])
    outputs = distributed.gather(outputs)
    return _METRIC_FUNCTIONS[metric](model, outputs, data.y)


def predict(model: Trainable, x: Features | Dataset) -> Output:
    """The model's output for a tensor, a record or a data set's features, without
    training behaviour: a tuple when forward returns several values."""
    if isinstance(x, Dataset):
        x = x.inputs
    if not isinstance(x, (torch.Tensor, dict)):
        raise UserError(f"predict expects a tensor, a record or a data set, got "
                        f"{type(x).__name__}")
    check_features(model, x)
    whole = isinstance(x, torch.Tensor) and not x.dim()
    with torch.no_grad():
        out = _outputs(model, x if whole else take_rows(x, distributed.block(row_count(x))),
                       False)
    if whole:
        return out
    if isinstance(out, tuple):
        return tuple(map(distributed.gather, out))
    return distributed.gather(out)


# --------------------------------------------------------------------- training loop


@dataclass
class _Progress:
    """Where a run stands, as its checkpoints record it (besides tensors)."""

    epoch: int = 0
    """Epochs completed."""
    step: int = 0
    """Optimizer steps taken, over every epoch (the schedule's position)."""
    batch: int = 0
    """Batches done in the current epoch."""
    epoch_total: float = 0.0
    """The current epoch's sum of loss times rows so far: in several processes, each
    holds the sum over its own rows (rank 0 also what a resumed checkpoint had done)."""
    first: float = math.nan
    last: float = math.nan
    best: float | None = None
    bad_epochs: int = 0
    stopped: bool = False


class _Run:
    """One `fit` call's loop: epochs of batches, optimizer steps, validation, early
    stopping, the log and checkpoints.

    In several processes every rank runs this loop in step: each takes its slice of every
    global batch of the shared order and trains `replica` (the model under DDP); rank 0
    alone writes the log and the checkpoints."""

    def __init__(self, model: Trainable, replica: Trainable, data: Dataset, opts: FitOptions,
                 optim: torch.optim.Optimizer, params: list[torch.Tensor]) -> None:
        """`replica` is `model` as it trains (itself in one process); `params` are the
        trained parameters."""
        self.model, self.replica, self.data, self.opts = model, replica, data, opts
        self.optim, self.params = optim, params
        self.loss_fn = _step_loss(opts.loss, data.y)
        self.batches = -(-len(data) // opts.batch)
        self.total_steps = opts.epochs * -(-self.batches // opts.accumulate)
        self.progress = _Progress()
        self.order: torch.Tensor | None = None
        self.best_weights: dict[str, torch.Tensor] | None = None
        self.lr = opts.lr

    def train(self) -> tuple[float, float]:
        """Runs the remaining epochs; returns the last epoch's mean loss and the first
        batch's loss."""
        if self.opts.resume:
            self._resume()
        done = self.progress.epoch * self.batches + self.progress.batch
        shown = sys.stderr.isatty() and distributed.is_main()
        bar = tqdm(total=self.opts.epochs * self.batches, initial=done, file=sys.stderr,
                   disable=not shown, leave=False)
        with bar:
            while self.progress.epoch < self.opts.epochs and not self.progress.stopped:
                started = time.perf_counter()
                self._epoch(bar)
                self._end_epoch(time.perf_counter() - started)
                bar.set_postfix(epoch=self.progress.epoch, loss=f"{self.progress.last:.4g}")
        self._restore_best()
        return self.progress.last, self.progress.first

    def _epoch(self, bar: tqdm) -> None:
        """The rest of the current epoch's batches, in its shuffled order."""
        if self.order is None:
            # The global generator, so that `seed(n)` makes the order reproducible; every
            # process takes rank 0's order (unseeded ranks draw different ones).
            self.order = distributed.same_order(torch.randperm(len(self.data)))
        acc, progress = self.opts.accumulate, self.progress
        for index in range(progress.batch, self.batches):
            group_start = index - index % acc
            group_end = min(group_start + acc, self.batches)
            if index == group_start:
                self.optim.zero_grad()
            with self._synced(index + 1 == group_end):
                self._backward(index, self._rows(group_start, group_end))
            progress.batch = index + 1
            bar.update(1)
            if index + 1 == group_end:
                self._step()
                if self._checkpoint_due() and index + 1 < self.batches:
                    self._save()

    def _batch_rows(self, index: int) -> torch.Tensor:
        """The data rows of batch `index` of the current epoch."""
        assert self.order is not None
        return self.order[index * self.opts.batch : (index + 1) * self.opts.batch]

    def _rows(self, start: int, end: int) -> int:
        """The number of rows in batches `start` to `end` (exclusive)."""
        return min(end * self.opts.batch, len(self.data)) - start * self.opts.batch

    def _synced(self, final: bool) -> contextlib.AbstractContextManager[None]:
        """Where a micro-batch's forward and backward run: under DDP, `no_sync` for all but
        the last of an accumulation group, whose backward averages the summed gradients
        once (averaging each would give the same sum, with more communication)."""
        if final or not isinstance(self.replica, distributed.Replica):
            return contextlib.nullcontext()
        return self.replica.no_sync()

    def _backward(self, index: int, group_rows: int) -> None:
        """Adds this process's part of batch `index`'s gradient and loss: its slice's mean
        loss weighted by the slice's share of the accumulation group's global rows."""
        rows = self._batch_rows(index)
        mine = distributed.shard(rows)
        value = self._shard_loss(mine)
        loss = value.item()  # the step's one synchronisation
        if not math.isfinite(loss):
            raise UserError(f"loss became {loss} at epoch {self.progress.epoch + 1}, "
                            f"batch {index + 1}")
        # DDP averages the ranks' gradients: the weight makes that the gradient of the
        # group's mean loss (1 for one process without accumulation).
        weight = distributed.loss_weight(len(mine), group_rows)
        torch.autograd.backward(value if weight == 1.0 else value * weight)
        self.progress.epoch_total += loss * len(mine)
        if self.progress.epoch == 0 and index == 0:
            self.progress.first = distributed.sum_over_ranks([loss * len(mine)])[0] / len(rows)

    def _shard_loss(self, rows: torch.Tensor) -> torch.Tensor:
        """The mean loss of data `rows`, forward in bfloat16 autocast when asked; zero (with
        gradients) for the empty slice a rank gets of a batch smaller than the processes."""
        xb = take_rows(self.data.inputs, rows)
        device = next((p.device for p in self.params), torch.device("cpu"))
        with torch.autocast(device.type, dtype=torch.bfloat16,
                            enabled=self.opts.precision == "bf16"):
            out = _forward(self.replica, xb, True)
        return self.loss_fn(out.float(), self.data.y[rows]) if len(rows) else out.sum() * 0.0

    def _step(self) -> None:
        """One optimizer step at the scheduled learning rate, the gradient clipped."""
        multiplier = SCHEDULES[self.opts.schedule](self.progress.step, self.opts.warmup,
                                                   self.total_steps)
        self.lr = self.opts.lr * multiplier
        for group in self.optim.param_groups:
            group["lr"] = self.lr
        if self.opts.clip is not None:
            torch.nn.utils.clip_grad_norm_(self.params, self.opts.clip)
        self.optim.step()
        self.progress.step += 1

    def _checkpoint_due(self) -> bool:
        """Whether `checkpoint_every` asks for a checkpoint after this step."""
        every = self.opts.checkpoint_every
        return every is not None and self.progress.step % every == 0

    def _end_epoch(self, seconds: float) -> None:
        """Closes an epoch: its mean loss, validation, early stopping, log row, checkpoint."""
        progress = self.progress
        progress.epoch += 1
        progress.last = self._epoch_total() / len(self.data)
        progress.batch, progress.epoch_total, self.order = 0, 0.0, None
        score = None
        if self.opts.val is not None:
            score = self._validate()
            self._judge(score)
        self._log([progress.epoch, progress.last, score, self.lr, seconds])
        self._save()

    def _epoch_total(self) -> float:
        """The current epoch's sum of loss times rows so far, over every process."""
        return distributed.sum_over_ranks([self.progress.epoch_total])[0]

    def _validate(self) -> float:
        """The score of `val`, the same in every process so that all stop at one epoch.

        `evaluate` runs the model itself (no DDP forward, whose ranks would have to match
        batch for batch) on each rank's block and gathers every row on every rank; rank 0's
        score is taken all the same, so that no metric's rounding can split the ranks."""
        assert self.opts.val is not None
        score = evaluate(self.model, self.opts.val, self.opts.val_metric)
        return distributed.from_main(score)

    def _log(self, row: list[float | int | None]) -> None:
        """Appends the epoch's row to the CSV log, when `fit` was given one (rank 0)."""
        log, metric = self.opts.log, self.opts.val_metric
        if log is not None:
            distributed.once(lambda: _append_log(log, metric, row))

    def _judge(self, score: float) -> None:
        """Early stopping: remembers the best epoch and stops after `patience` worse ones."""
        progress, patience = self.progress, self.opts.patience
        higher = self.opts.val_metric in _HIGHER_IS_BETTER
        best = progress.best
        if best is None or (score > best if higher else score < best):
            progress.best, progress.bad_epochs = score, 0
            if patience is not None:
                self.best_weights = {name: p.detach().clone()
                                     for name, p in saved_state(self.model).items()}
            return
        progress.bad_epochs += 1
        progress.stopped = patience is not None and progress.bad_epochs >= patience

    def _restore_best(self) -> None:
        """Puts back the best epoch's weights when early stopping kept them."""
        if self.best_weights is None:
            return
        with torch.no_grad():
            for name, p in saved_state(self.model).items():
                p.copy_(self.best_weights[name])

    # ------------------------------------------------------------------ checkpoints

    def _save(self) -> None:
        """Writes a checkpoint when `fit` was given a folder: rank 0 writes it (the state
        is the same in every process but for the loss total, which it sums over them)."""
        folder = self.opts.checkpoint
        if folder is None:
            return
        tensors, values = training_state(self.optim)
        if self.order is not None:
            tensors["order"] = self.order
        for name, t in (self.best_weights or {}).items():
            tensors[f"best/{name}"] = t
        values["progress"] = {**asdict(self.progress), "epoch_total": self._epoch_total()}
        values["lr"] = self.lr
        step, epoch = self.progress.step, self.progress.epoch
        checkpoint = Checkpoint(saved_state(self.model), tensors, values)
        distributed.once(lambda: save_checkpoint(folder, step, epoch, checkpoint))

    def _resume(self) -> None:
        """Continues from the newest complete checkpoint, if the folder holds one."""
        assert self.opts.checkpoint is not None
        checkpoint = load_newest(self.opts.checkpoint)
        if checkpoint is None:
            note(f"no complete checkpoint in '{self.opts.checkpoint}': training from the start")
            return
        params = saved_state(self.model)
        shapes = {name: list(p.shape) for name, p in params.items()}
        if {name: list(t.shape) for name, t in checkpoint.model.items()} != shapes:
            raise UserError(f"the checkpoint in '{self.opts.checkpoint}' holds another "
                            f"model's weights")
        order = checkpoint.tensors.get("order")
        if order is not None and len(order) != len(self.data):
            raise UserError(f"the checkpoint in '{self.opts.checkpoint}' was written for a "
                            f"data set of {len(order)} rows, not {len(self.data)}")
        with torch.no_grad():
            for name, p in params.items():
                p.copy_(checkpoint.model[name])
        restore_training_state(self.optim, checkpoint.tensors, checkpoint.values)
        self.progress = _Progress(**checkpoint.values["progress"])
        if not distributed.is_main():
            self.progress.epoch_total = 0.0  # the total over every process: rank 0 holds it
        self.lr = checkpoint.values["lr"]
        self.order = order
        best = {name[len("best/"):]: t for name, t in checkpoint.tensors.items()
                if name.startswith("best/")}
        self.best_weights = best or None


def training_state(optim: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor],
                                                          dict[str, Any]]:
    """The optimizer's state and every random generator's state, as tensors and JSON
    values (no pickle)."""
    state = optim.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    values: dict[str, dict[str, Any]] = {}
    for index, entries in state["state"].items():
        for key, value in entries.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer/{index}/{key}"] = value
            else:
                values.setdefault(str(index), {})[key] = value
    tensors["rng/torch"] = torch.get_rng_state()
    if torch.cuda.is_available():
        for device, rng in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng/cuda/{device}"] = rng
    kind, keys, position, has_gauss, gauss = np.random.get_state(legacy=True)
    tensors["rng/numpy"] = torch.from_numpy(np.asarray(keys, dtype=np.int64))
    return tensors, {
        "optimizer": {"state": values, "param_groups": state["param_groups"]},
        "rng": {"python": random.getstate(), "numpy": [kind, position, has_gauss, gauss]},
    }


def restore_training_state(optim: torch.optim.Optimizer, tensors: dict[str, torch.Tensor],
                           values: dict[str, Any]) -> None:
    """Puts back what `training_state` recorded."""
    state: dict[int, dict[str, Any]] = {}
    for index, entries in values["optimizer"]["state"].items():
        state.setdefault(int(index), {}).update(entries)
    for name, t in tensors.items():
        if name.startswith("optimizer/"):
            _, index, key = name.split("/", 2)
            state.setdefault(int(index), {})[key] = t
    optim.load_state_dict({"state": state, "param_groups": values["optimizer"]["param_groups"]})
    torch.set_rng_state(tensors["rng/torch"])
    cuda = [tensors[f"rng/cuda/{d}"] for d in range(torch.cuda.device_count())
            if f"rng/cuda/{d}" in tensors]
    if cuda:
        torch.cuda.set_rng_state_all(cuda)
    version, internal, gauss_next = values["rng"]["python"]
    random.setstate((version, tuple(internal), gauss_next))
    kind, position, has_gauss, gauss = values["rng"]["numpy"]
    keys = tensors["rng/numpy"].numpy().astype(np.uint32)
    np.random.set_state((kind, keys, position, has_gauss, gauss))


def _append_log(path: str, metric: str, row: list[float | int | None]) -> None:
    """Appends one epoch's row to the CSV log, with a header when the file is new."""
    target = Path(path)
    try:
        new = not target.exists() or target.stat().st_size == 0
        with target.open("a", newline="") as f:
            writer = csv.writer(f)
            if new:
                writer.writerow(["epoch", "loss", f"val_{metric}", "lr", "seconds"])
            writer.writerow(["" if v is None else v for v in row])
    except OSError as err:
        raise UserError(f"cannot write the log '{path}': {err.strerror}") from None


_HIGHER_IS_BETTER = ("accuracy", "f1")
"""The validation metrics that improve upwards; the others are errors."""


# The optimizer state that `fit` keeps between calls on one model and data set, with the
# optimizer's name and trained fields it belongs to; dropped when either object goes.
_KEPT: dict[tuple[int, int], tuple[str, frozenset[str], dict[str, Any]]] = {}


def _optimizer(model: Trainable, data: Dataset, params: dict[str, torch.Tensor],
               trainable: set[str], opts: FitOptions) -> torch.optim.Optimizer:
    """The optimizer of this `fit`, carrying on the state of the previous `fit` on the
    same model and data set with the same optimizer and trained fields."""
    optim = _OPTIMIZER_CLASSES[opts.optimizer](
        [p for name, p in params.items() if name in trainable],
        lr=opts.lr, weight_decay=opts.weight_decay,
    )
    kept = _KEPT.get((id(model), id(data)))
    if kept is not None and kept[:2] == (opts.optimizer, frozenset(trainable)):
        optim.load_state_dict(kept[2])
        for group in optim.param_groups:  # this call's options, not the last call's
            group["lr"], group["weight_decay"] = opts.lr, opts.weight_decay
    return optim


def _keep_optimizer_state(model: Trainable, data: Dataset, trainable: set[str],
                          opts: FitOptions, optim: torch.optim.Optimizer) -> None:
    """Records the optimizer's state for the next `fit` on this model and data set."""
    key = (id(model), id(data))
    if key not in _KEPT:
        # ids are reused once an object dies: forget its state with it.
        weakref.finalize(model, _KEPT.pop, key, None)
        weakref.finalize(data, _KEPT.pop, key, None)
    _KEPT[key] = (opts.optimizer, frozenset(trainable), optim.state_dict())


def _batches(data: Dataset, batch: int) -> Iterator[tuple[Features, torch.Tensor]]:
    """`(features, labels)` batches of at most `batch` rows, in stored order."""
    for start in range(0, len(data), batch):
        rows = slice(start, start + batch)
        yield take_rows(data.inputs, rows), data.y[rows]


def _forward(model: Trainable, x: Features, training: bool) -> torch.Tensor:
    """The model's one output for `x`: a loss or a metric needs a forward with one result."""
    out = _outputs(model, x, training)
    if isinstance(out, tuple):
        raise UserError(f"fit and evaluate need a forward method that returns one tensor; "
                        f"this one returns {len(out)} values")
    return out


def _outputs(model: Trainable, x: Features, training: bool) -> Output:
    """Runs the model on `x`, moved to the device that holds the model's parameters."""
    device = next((p.device for p in model.parameters().values()), None)
    return model.forward(x if device is None else _moved(x, device), training)


def _moved(x: Features, device: torch.device) -> Features:
    """Features on `device` (each field of a record)."""
    if isinstance(x, torch.Tensor):
        return _moved_tensor(x, device)
    return {name: _moved_tensor(t, device) for name, t in x.items()}


def _moved_tensor(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A tensor on `device`."""
    return t if t.device == device else t.to(device)


def check_features(model: Trainable, features: Features) -> None:
    """Checks a record's fields against the parameters of a compiled model's forward
    before any batch runs, naming the field at fault (a tensor is checked at its first
    call, as every method's inputs are)."""
    if isinstance(features, torch.Tensor) or not isinstance(model, ModelInstance):
        return
    method = f"{model.name}.forward"
    args = record_arguments(features, model.input_names, method)
    for name, value, t in zip(model.input_names, args, model.inputs["forward"]):
        want = shape_of(t) if isinstance(t, TensorType) else ()
        dtype = dtype_name(t.element_type) if isinstance(t, TensorType) else str(t)
        # Rows are the batch's: only the other sizes must be the declared ones.
        if want and sizes_fit(value[:0], [0, *want[1:]]) and m_dtype(value.dtype) == dtype:
            continue
        raise UserError(f"the record's field '{name}' is {m_dtype(value.dtype)}"
                        f"{list(value.shape)}, but {method} takes {dtype}{fmt_shape(want)} "
                        f"for its parameter '{name}'")


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


def _check_options(opts: FitOptions) -> None:
    """Raises a `UserError` for an option that `fit` cannot take."""
    _check_choice("loss", opts.loss, LOSSES)
    _check_choice("optimizer", opts.optimizer, OPTIMIZERS)
    _check_choice("schedule", opts.schedule, tuple(SCHEDULES))
    _check_choice("precision", opts.precision, PRECISIONS)
    _check_number("lr", opts.lr, positive=True)
    _check_number("weight_decay", opts.weight_decay, positive=False)
    for name in ("epochs", "batch", "accumulate"):
        _check_count(name, getattr(opts, name))
    if isinstance(opts.warmup, bool) or not isinstance(opts.warmup, int) or opts.warmup < 0:
        raise UserError(f"warmup must be an integer >= 0, got {opts.warmup!r}")
    for name in ("patience", "checkpoint_every"):
        if getattr(opts, name) is not None:
            _check_count(name, getattr(opts, name))
    if opts.clip is not None:
        _check_number("clip", opts.clip, positive=True)
    if opts.metric is not None:
        _check_choice("metric", opts.metric, METRICS)
    for name, needs in (("patience", "val"), ("metric", "val"), ("checkpoint_every", "checkpoint")):
        if getattr(opts, name) is not None and getattr(opts, needs) is None:
            raise UserError(f"{name} needs {needs}=")
    if opts.resume and opts.checkpoint is None:
        raise UserError("resume=true needs checkpoint=DIR")
    if opts.val is not None:
        _check_data(opts.val)
