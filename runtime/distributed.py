"""More than one process: what `mrun --nproc N` and `torchrun` workers share.

Every process runs the whole host program. `torchrun` (or `mrun --nproc`, which starts
workers through the same elastic launcher) sets `RANK`, `WORLD_SIZE`, `MASTER_ADDR`, ...;
`setup` joins the process group from them (gloo on CPU, NCCL on CUDA). Then:

- `fit` trains a `Replica` (the model under `DistributedDataParallel`), each rank on its
  slice of every global batch (`shard`), its loss weighted so that DDP's gradient average
  is the gradient of the mean over the global batch (`loss_weight`); with accumulation,
  the micro-batches before a step's last run under `Replica.no_sync`;
- `evaluate` and `predict` run each rank on a contiguous block of rows and `gather` the
  blocks in order, so that every row counts once;
- only rank 0 prints and writes files (`is_main`, `once`: `save`, `write`, `plot`, `fit`'s
  log and checkpoints); the other ranks' stdout goes to /dev/null;
- a failing rank writes its one located message to `MLANG_ERROR_DIR` (set by `mrun`),
  which `mrun` prints once; collectives time out after `MLANG_DIST_TIMEOUT` seconds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

if TYPE_CHECKING:
    from mlang.runtime.datasets import Features
    from mlang.runtime.model import ModelInstance

Output = torch.Tensor | tuple[torch.Tensor, ...]
"""What a forward method gives (as `training.Output`)."""

M = TypeVar("M")

ERROR_DIR = "MLANG_ERROR_DIR"
"""The folder where a worker started by `mrun --nproc` writes its error message."""

TIMEOUT = "MLANG_DIST_TIMEOUT"
"""Seconds before a collective that a peer never joins fails (default 300)."""


def world_size() -> int:
    """The number of processes (1 without a process group)."""
    return dist.get_world_size() if dist.is_initialized() else 1


def rank() -> int:
    """This process's rank (0 without a process group)."""
    return dist.get_rank() if dist.is_initialized() else 0


def is_main() -> bool:
    """Whether this process prints, saves and shows progress: rank 0."""
    return rank() == 0


def launched() -> bool:
    """Whether a launcher started this process as one of several (`WORLD_SIZE` > 1)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def setup(device: str) -> None:
    """Joins the process group that the launcher's variables describe, and silences the
    stdout of every rank but 0."""
    if not launched() or dist.is_initialized():
        return
    timeout = timedelta(seconds=float(os.environ.get(TIMEOUT, "300")))
    if device == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group("nccl" if device == "cuda" else "gloo", timeout=timeout)
    if not is_main():
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the process's lifetime


def once(action: Callable[[], object]) -> None:
    """Runs `action` (a file write) on rank 0 only; the others wait for it, so that a
    later statement of theirs that reads the file finds it."""
    if is_main():
        action()
    if world_size() > 1:
        dist.barrier()


def finish() -> None:
    """Leaves the process group, once every rank has come this far."""
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def report_error(message: str) -> bool:
    """Leaves `message` for `mrun --nproc` to print once (with the time, so that it picks
    the first failure and not a peer's lost connection); False when no `mrun` is there."""
    folder = os.environ.get(ERROR_DIR)
    if not folder:
        return False
    path = Path(folder) / f"rank-{os.environ.get('RANK', '0')}"
    path.write_text(f"{time.time()!r}\n{message}")
    return True


def first_error(folder: Path) -> str | None:
    """The message of the worker that failed first, of those that left one."""
    reports = [p.read_text().split("\n", 1) for p in folder.glob("rank-*")]
    reports = [r for r in reports if len(r) == 2]
    return min(reports, key=lambda r: float(r[0]))[1] if reports else None


# ---------------------------------------------------------------------------- fit


class _Parameters(nn.Module):
    """The floating-point parameters of a model as an `nn.Module`, which DDP needs."""

    def __init__(self, model: ModelInstance, params: dict[str, torch.Tensor]) -> None:
        super().__init__()
        self.model = model
        for number, p in enumerate(params.values()):
            if isinstance(p, nn.Parameter):  # dotted names are no attribute names
                self.register_parameter(f"p{number}", p)

    def forward(self, x: Features, training: bool) -> Output:
        """The model's forward (which reads the same parameter objects)."""
        return self.model.forward(x, training)


class Replica:
    """A model as `fit` trains it in several processes; implements `training.Trainable`.

    Its parameters are `nn.Parameter`s sharing storage with the model's tensors, so that
    the optimizer's in-place steps update the model. DDP wraps them at the first forward,
    when `fit` has set which of them take gradients (DDP reduces only those)."""

    def __init__(self, model: ModelInstance) -> None:
        self.model = model
        self.params = {name: nn.Parameter(p, requires_grad=p.requires_grad)
                       if p.is_floating_point() else p for name, p in model.params.items()}
        self.local = dataclasses.replace(model, params=self.params)
        self.ddp: DistributedDataParallel | None = None

    @property
    def loss_name(self) -> str:
        """The model's loss (kept on the model, which `evaluate` reads)."""
        return self.model.loss_name

    @loss_name.setter
    def loss_name(self, name: str) -> None:
        self.model.loss_name = name

    def parameters(self) -> dict[str, torch.Tensor]:
        """The shared parameters by dotted name."""
        return self.params

    def state(self) -> dict[str, torch.Tensor]:
        """Parameters and buffers, as the model's own `state` (checkpoints hold both)."""
        return self.model.state()

    def forward(self, x: Features, training: bool) -> Output:
        """The forward through DDP."""
        output: Output = self._wrapped()(x, training)
        return output

    def no_sync(self) -> contextlib.AbstractContextManager[None]:
        """DDP's `no_sync`: the forwards and backwards inside it add up gradients locally,
        and the next backward outside it averages their sum over the ranks."""
        return self._wrapped().no_sync()

    def _wrapped(self) -> DistributedDataParallel:
        """The model under DDP, made at first use (broadcasting rank 0's weights)."""
        if self.ddp is None:
            self.ddp = DistributedDataParallel(_Parameters(self.local, self.params))
        return self.ddp


def replica(model: M) -> M | Replica:
    """`model` as `fit` trains it: a `Replica` in several processes, else itself."""
    from mlang.runtime.model import ModelInstance

    if world_size() == 1 or not isinstance(model, ModelInstance):
        return model
    return Replica(model)


def same_order(order: torch.Tensor) -> torch.Tensor:
    """Rank 0's shuffled order on every rank (unseeded ranks draw different ones)."""
    if world_size() == 1:
        return order
    shared = order.to(_collective_device())
    dist.broadcast(shared, src=0)
    return shared.to(order.device)


def shard(rows: torch.Tensor) -> torch.Tensor:
    """This rank's contiguous part of a global batch's rows (parts differ by at most one)."""
    if world_size() == 1:
        return rows
    return rows.tensor_split(world_size())[rank()]


def loss_weight(local: int, total: int) -> float:
    """The factor on a shard's mean loss that makes DDP's average of the ranks' gradients
    the gradient of the global batch's mean loss."""
    return world_size() * local / total


def sum_over_ranks(values: list[float]) -> list[float]:
    """Each value summed over every rank."""
    if world_size() == 1:
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=_collective_device())
    dist.all_reduce(tensor)
    return [float(v) for v in tensor.tolist()]


def from_main(value: float) -> float:
    """Rank 0's `value` on every rank (so that every rank takes the same decision)."""
    if world_size() == 1:
        return value
    tensor = torch.tensor([value], dtype=torch.float64, device=_collective_device())
    dist.broadcast(tensor, src=0)
    return float(tensor.item())


# ------------------------------------------------------------- evaluate and predict


def block(rows: int) -> slice:
    """This rank's contiguous block of `rows` rows for evaluation."""
    if world_size() == 1:
        return slice(0, rows)
    size, extra = divmod(rows, world_size())
    start = rank() * size + min(rank(), extra)
    return slice(start, start + size + (rank() < extra))


def gather(local: torch.Tensor) -> torch.Tensor:
    """Every rank's block of rows, concatenated in rank order (on `local`'s device)."""
    if world_size() == 1:
        return local
    device = _collective_device()
    counts = torch.zeros(world_size(), dtype=torch.int64, device=device)
    counts[rank()] = local.shape[0]
    dist.all_reduce(counts)
    longest = int(counts.max())
    # gloo gathers tensors of one size only: pad each block to the longest.
    padded = torch.zeros((longest, *local.shape[1:]), dtype=local.dtype, device=device)
    padded[: local.shape[0]] = local
    parts = [torch.empty_like(padded) for _ in range(world_size())]
    dist.all_gather(parts, padded)
    rows = [part[: int(n)] for part, n in zip(parts, counts.tolist())]
    return torch.cat(rows).to(local.device)


def _collective_device() -> torch.device:
    """Where the backend's collectives take tensors: the current GPU for NCCL."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


# -------------------------------------------------------------------------- launch


def launch(nproc: int, arguments: list[str]) -> str | None:
    """Runs `mrun ARGUMENTS` in `nproc` local processes through torch's elastic launcher
    (its own rendezvous); returns the first failure's message, or None when all succeed.

    Rank 0 writes to this process's stdout and stderr (one progress bar); the other
    ranks' output goes to log files. When one worker fails the launcher stops the others,
    so an error never leaves a peer waiting in a collective."""
    from torch.distributed.elastic.multiprocessing.api import (
        DefaultLogsSpecs,
        SignalException,
        Std,
    )
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    for name in ("torch.distributed.elastic", "torch.distributed.launcher"):
        logging.getLogger(name).setLevel(logging.CRITICAL)  # the error is ours to tell
    # One thread per process unless the user chose: N processes share the cores.
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    with tempfile.TemporaryDirectory(prefix="mlang-run-") as folder:
        errors = Path(folder) / "errors"
        errors.mkdir()
        os.environ[ERROR_DIR] = str(errors)
        logs = DefaultLogsSpecs(log_dir=str(Path(folder) / "logs"),
                                redirects={r: Std.ALL for r in range(1, nproc)})
        config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=nproc,
                              run_id=f"mlang-{os.getpid()}", rdzv_backend="c10d",
                              rdzv_endpoint="localhost:0", max_restarts=0, logs_specs=logs)
        try:
            elastic_launch(config, sys.executable)("-m", "mlang.run", *arguments)
        except ChildFailedError:
            return first_error(errors) or "error: a worker process failed\n"
        except SignalException:
            raise KeyboardInterrupt from None  # Ctrl-C: the launcher stopped the workers
        finally:
            del os.environ[ERROR_DIR]
    return None
