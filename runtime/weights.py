"""Reading weight files and copying them into a model: the `load_weights` built-in.

Two formats are read: safetensors, and PyTorch `state_dict` files (`.pt`, `.pth`) through
`torch.load(weights_only=True)`, which unpickles tensors and containers but never code.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import safetensors.torch
import torch

from mlang.support.diagnostics import UserError

WEIGHT_SUFFIXES = (".safetensors", ".pt", ".pth")

# More problems than this are summarised as "and N more", to keep the message readable.
_MAX_LISTED_PROBLEMS = 10


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a `.safetensors`, `.pt` or `.pth` file, by name, on the CPU."""
    path = Path(path)
    if path.suffix not in WEIGHT_SUFFIXES:
        raise UserError(
            f"cannot read weights from '{path}': expected a file ending in "
            f"{', '.join(WEIGHT_SUFFIXES)}"
        )
    if not path.is_file():
        raise UserError(f"no such weights file: '{path}'")
    if path.suffix == ".safetensors":
        return _read_safetensors(path)
    return _checked_state_dict(_read_torch(path), path)


def assign_state_dict(params: dict[str, torch.Tensor], state: dict[str, torch.Tensor]) -> None:
    """Copies `state` into `params` in place; names and shapes must match exactly.

    Nothing is copied unless everything matches. Each value is converted to its
    parameter's dtype and device.
    """
    problems = _mismatches(params, state)
    if problems:
        raise UserError(_summarise(problems))
    with torch.no_grad():
        for name, param in params.items():
            param.copy_(state[name])


def _read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """Loads a safetensors file, turning any failure into a `UserError`."""
    try:
        return safetensors.torch.load_file(str(path), device="cpu")
    except Exception as err:  # noqa: BLE001 - the library raises several unrelated types
        raise UserError(f"cannot read '{path}' as a safetensors file: {err}") from None


def _read_torch(path: Path) -> object:
    """Unpickles a PyTorch file with `weights_only=True`, so that no code can run."""
    try:
        # torch warns about unusual pickles; any real problem is reported as a UserError.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(path, weights_only=True, map_location="cpu")
    except Exception as err:  # noqa: BLE001 - unpickling fails with many exception types
        raise UserError(
            f"cannot read '{path}' as a PyTorch state_dict file (save one with "
            f"torch.save(model.state_dict(), path)): {_first_line(err)}"
        ) from None


def _first_line(err: Exception) -> str:
    """The first line of an exception's message (torch's run to many lines), or its type."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def _checked_state_dict(content: object, path: Path) -> dict[str, torch.Tensor]:
    """The dict of tensors in a loaded file, unwrapping a checkpoint's "state_dict" entry."""
    if isinstance(content, dict) and isinstance(content.get("state_dict"), dict):
        content = content["state_dict"]
    if not isinstance(content, dict):
        raise UserError(
            f"'{path}' holds a {type(content).__name__}, not a state_dict (a dict of tensors)"
        )
    for key, value in content.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise UserError(
                f"'{path}' is not a state_dict: entry {key!r} holds "
                f"{type(value).__name__}, not a tensor"
            )
    return dict(content)


def _mismatches(params: dict[str, torch.Tensor], state: dict[str, torch.Tensor]) -> list[str]:
    """One sentence per missing, extra or misshapen tensor."""
    problems = [f"weight '{name}' is missing from the file" for name in params if name not in state]
    problems += [
        f"the file has a weight '{name}' that the model does not have"
        for name in state
        if name not in params
    ]
    problems += [
        f"weight '{name}' has shape {list(state[name].shape)} in the file but the model "
        f"expects {list(param.shape)}"
        for name, param in params.items()
        if name in state and state[name].shape != param.shape
    ]
    return problems


def _summarise(problems: list[str]) -> str:
    """The problems as one message, the first few listed and the rest counted."""
    listed = "; ".join(problems[:_MAX_LISTED_PROBLEMS])
    extra = len(problems) - _MAX_LISTED_PROBLEMS
    return f"{listed}; and {extra} more" if extra > 0 else listed
