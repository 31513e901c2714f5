"""Training checkpoints of `fit(checkpoint=DIR)`: atomic, self-checking, without pickle.

A checkpoint is a folder `DIR/ckpt-STEP-EPOCH` of four files: `model.safetensors` (the
weights), `state.safetensors` (every other tensor: optimizer moments, random generator
states, the epoch's data order, the best weights of early stopping), `state.json` (every
other value) and `manifest.json` (the size and SHA-256 of the other three). It is written
in a hidden temporary folder, each file flushed to disk, then renamed into place, so that
a process killed while writing leaves the previous checkpoint the newest complete one; a
folder whose files do not match its manifest is never loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as safetensors_bytes

from mlang.support.diagnostics import UserError

FORMAT = "mlang-checkpoint-1"
KEEP = 2
"""How many complete checkpoints a folder keeps; older ones are removed."""
_PREFIX = "ckpt-"
_FILES = ("model.safetensors", "state.safetensors", "state.json")


@dataclass(frozen=True)
class Checkpoint:
    """What one checkpoint holds: weights, other tensors and JSON values."""

    model: dict[str, torch.Tensor]
    tensors: dict[str, torch.Tensor]
    values: dict[str, Any]


def save_checkpoint(folder: str, step: int, epoch: int, checkpoint: Checkpoint) -> Path:
    """Writes `checkpoint` atomically as the checkpoint of `step` and `epoch` in `folder`
    and removes all but the newest `KEEP` ones; returns its path."""
    root = Path(folder)
    try:
        root.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(dir=root, prefix=".tmp-"))
        contents = {
            "model.safetensors": safetensors_bytes(_cpu(checkpoint.model)),
            "state.safetensors": safetensors_bytes(_cpu(checkpoint.tensors)),
            "state.json": json.dumps({"format": FORMAT, **checkpoint.values}).encode(),
        }
        manifest = {name: {"bytes": len(data), "sha256": _digest(data)}
                    for name, data in contents.items()}
        contents["manifest.json"] = json.dumps({"format": FORMAT, "files": manifest}).encode()
        for name, data in contents.items():  # the manifest last: it vouches for the rest
            _write_synced(temp / name, data)
        target = root / f"{_PREFIX}{step:09d}-{epoch:05d}"
        if target.exists():  # a fresh run over an older run's checkpoints
            shutil.rmtree(target)
        os.replace(temp, target)
        _sync_folder(root)
    except OSError as err:
        raise UserError(f"cannot write a checkpoint in '{folder}': {err.strerror}") from None
    _prune(root)
    return target


def load_newest(folder: str) -> Checkpoint | None:
    """The newest complete checkpoint in `folder`, or None when it holds none."""
    for path in _checkpoints(Path(folder))[::-1]:
        checkpoint = load_checkpoint(path)
        if checkpoint is not None:
            return checkpoint
    return None


def load_checkpoint(path: Path) -> Checkpoint | None:
    """The checkpoint in folder `path`, or None unless every file matches the manifest."""
    try:
        manifest = json.loads((path / "manifest.json").read_bytes())
        if manifest.get("format") != FORMAT or set(manifest["files"]) != set(_FILES):
            return None
        contents = {name: (path / name).read_bytes() for name in _FILES}
        for name, data in contents.items():
            entry = manifest["files"][name]
            if len(data) != entry["bytes"] or _digest(data) != entry["sha256"]:
                return None
        return Checkpoint(load_safetensors(contents["model.safetensors"]),
                          load_safetensors(contents["state.safetensors"]),
                          json.loads(contents["state.json"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, SafetensorError):
        return None


def _checkpoints(root: Path) -> list[Path]:
    """The checkpoint folders of `root`, oldest first (their names sort by step, epoch)."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.name.startswith(_PREFIX) and p.is_dir())


def _prune(root: Path) -> None:
    """Removes all but the newest `KEEP` checkpoints and leftover temporary folders."""
    for path in _checkpoints(root)[:-KEEP]:
        shutil.rmtree(path, ignore_errors=True)
    for path in root.glob(".tmp-*"):
        shutil.rmtree(path, ignore_errors=True)


def _cpu(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Contiguous CPU copies, as safetensors stores them."""
    return {name: t.detach().cpu().contiguous() for name, t in tensors.items()}


def _digest(data: bytes) -> str:
    """The SHA-256 of `data` in hex."""
    return hashlib.sha256(data).hexdigest()


def _write_synced(path: Path, data: bytes) -> None:
    """Writes `data` to `path` and flushes it to the disk."""
    with path.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _sync_folder(path: Path) -> None:
    """Flushes a folder's entries (a rename) to the disk where the system allows it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename is still atomic
    finally:
        os.close(fd)
