"""Reading weight files and copying them into a model: the `load_weights` built-in.

Two formats are read: safetensors, and PyTorch `state_dict` files (`.pt`, `.pth`) through
`torch.load(weights_only=True)`, which unpickles tensors and containers but never code.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import safetensors.torch
import torch

from mlang.support.diagnostics import UserError, did_you_mean

WEIGHT_SUFFIXES = (".safetensors", ".pt", ".pth")

# More problems than this are summarised as "and N more", to keep the message readable.
_MAX_LISTED_PROBLEMS = 10

# Entries under which training checkpoints keep the model's state_dict, as in PyTorch's
# tutorial ({"model_state_dict": ..., "optimizer_state_dict": ...}) and common scripts.
_CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model")

# torch's messages carry terminal escapes (bold) that a diagnostic must not print.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a `.safetensors`, `.pt` or `.pth` file, by name, on the CPU."""
    path = Path(path)
    if path.suffix not in WEIGHT_SUFFIXES:
        raise UserError(
            f"cannot read weights from '{path}': expected a file ending in "
            f"{', '.join(WEIGHT_SUFFIXES)}"
        )
    if path.is_dir():
        raise UserError(f"'{path}' is a directory, not a weights file")
    if not path.is_file():
        raise UserError(f"no such weights file: '{path}'")
    if path.suffix == ".safetensors":
        return _read_safetensors(path)
    return read_torch_state_dict(path)


def read_torch_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a PyTorch state_dict file of any name (`pytorch_model.bin`), read
    with `weights_only=True`."""
    return _checked_state_dict(_read_torch(path), path)


@dataclass(frozen=True)
class NameMap:
    """How `load_weights` maps a file's names to the model's: `prefix` removed, then
    `rename` applied (a whole name, or a run of `.`-delimited parts), and the tensors
    that `transpose` names (by a run of parts, in the file's or the model's naming)
    transposed."""

    prefix: str = ""
    rename: Mapping[str, str] = field(default_factory=dict)
    transpose: Sequence[str] = ()

    def name(self, file_name: str) -> str:
        """The model's name for a file's tensor name."""
        name = file_name.removeprefix(self.prefix)
        for old, new in self.rename.items():
            name = _replace_parts(name, old, new)
        return name

    def apply(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The file's tensors under the model's names, those named in `transpose`
        transposed; a `transpose` entry that names no tensor is an error."""
        out = {self.name(n): t for n, t in state.items()}
        for entry in self.transpose:
            hits = [n for n, f in zip(out, state) if _has_parts(n, entry) or _has_parts(f, entry)]
            if not hits:
                raise UserError(f"transpose names '{entry}', which no tensor of the file has"
                                + did_you_mean(entry, _tails([*state, *out])))
            for n in hits:
                if out[n].dim() != 2:
                    raise UserError(f"transpose: '{n}' has {out[n].dim()} dimensions; only "
                                    "matrices are transposed")
                out[n] = out[n].t().contiguous()
        return out


def _replace_parts(name: str, old: str, new: str) -> str:
    """`name` with each run of whole `.`-delimited parts equal to `old` replaced by `new`."""
    return re.sub(rf"(?<![^.]){re.escape(old)}(?![^.])", new, name)


def _tails(names: Sequence[str]) -> set[str]:
    """Every run of parts that ends a name (`c_fc.weight` of `h.0.mlp.c_fc.weight`)."""
    return {".".join(parts[i:]) for n in names for parts in [n.split(".")]
            for i in range(len(parts))}


def _has_parts(name: str, entry: str) -> bool:
    """Whether `entry` is a run of whole `.`-delimited parts of `name`."""
    return _replace_parts(name, entry, "") != name


def assign_state_dict(params: dict[str, torch.Tensor], state: dict[str, torch.Tensor],
                      ties: Mapping[str, str] | None = None, strict: bool = True) -> list[str]:
    """Copies `state` into `params` in place; names and shapes must match exactly.

    Nothing is copied unless everything matches, or, with `strict` false, what matches is
    copied and the rest returned as problems. A tied name (`ties`: name -> the name it is
    the same tensor as) is satisfied by either name in the file. Each value is converted
    to its parameter's dtype and device.
    """
    state = _untied(state, ties or {})
    problems = _mismatches(params, state)
    if problems and strict:
        raise UserError(_summarise(problems) + _prefix_hint(params, state))
    with torch.no_grad():
        for name, param in params.items():
            if name in state and state[name].shape == param.shape:
                param.copy_(state[name])
    return problems


def _untied(state: dict[str, torch.Tensor], ties: Mapping[str, str]) -> dict[str, torch.Tensor]:
    """`state` with each tied pair present under both names when the file has one."""
    out = dict(state)
    for target, source in ties.items():
        if target in out and source not in out:
            out[source] = out[target]
        elif source in out and target not in out:
            out[target] = out[source]
    return out


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
            f"torch.save(model.state_dict(), path)): {_torch_load_reason(err)}"
        ) from None


def _torch_load_reason(err: Exception) -> str:
    """The gist of a `torch.load` failure, on one line and without terminal escapes.

    A refused unpickling is explained over many lines of advice to load untrusted code;
    only the unpickler's own reason (an unsupported global or opcode) is kept.
    """
    text = _ANSI_ESCAPE.sub("", str(err))
    _, found, reason = text.partition("WeightsUnpickler error:")
    lines = [line.strip() for line in (reason if found else text).splitlines() if line.strip()]
    if not lines:
        return type(err).__name__
    if found and lines[0].startswith("Unsupported global"):
        # A pickled class: typically a whole model saved with torch.save(model, path).
        return f"it holds Python objects, not only tensors ({lines[0].split('. ')[0]})"
    return lines[0]


def _checked_state_dict(content: object, path: Path) -> dict[str, torch.Tensor]:
    """The dict of tensors in a loaded file, unwrapping a checkpoint's state_dict entry."""
    if isinstance(content, dict):
        for key in _CHECKPOINT_KEYS:
            if isinstance(content.get(key), dict):
                content = content[key]
                break
    if not isinstance(content, dict):
        raise UserError(
            f"'{path}' holds a {type(content).__name__}, not a state_dict (a dict of tensors)"
        )
    for key, value in content.items():
        if not isinstance(key, str):
            raise UserError(f"'{path}' is not a state_dict: it has a key {key!r}, not a name")
        if not isinstance(value, torch.Tensor):
            raise UserError(
                f"'{path}' is not a state_dict: entry {key!r} holds "
                f"{type(value).__name__}, not a tensor"
            )
    return dict(content)


def _mismatches(params: dict[str, torch.Tensor], state: dict[str, torch.Tensor]) -> list[str]:
    """One sentence per missing, extra, misshapen or complex tensor."""
    problems = [f"weight '{name}' is missing from the file" + _closest(name, state, "file")
                for name in params if name not in state]
    problems += [
        f"the file has a weight '{name}' that the model does not have"
        + _closest(name, params, "model")
        for name in state
        if name not in params
    ]
    problems += [
        f"weight '{name}' has shape {list(state[name].shape)} in the file but the model "
        f"expects {list(param.shape)}"
        for name, param in params.items()
        if name in state and state[name].shape != param.shape
    ]
    # Copying complex values into real parameters would silently drop the imaginary part.
    problems += [
        f"weight '{name}' is complex ({state[name].dtype}) in the file but the model's is real"
        for name, param in params.items()
        if name in state and state[name].is_complex() and not param.is_complex()
    ]
    return problems


def _closest(name: str, names: Mapping[str, torch.Tensor], side: str) -> str:
    """" (closest in the file: 'x')" for the name of `names` nearest to `name`, or ""."""
    unmatched = [n for n in names if n != name]
    found = difflib.get_close_matches(name, unmatched, n=1, cutoff=0.6)
    return f" (closest in the {side}: '{found[0]}')" if found else ""


def _prefix_hint(params: dict[str, torch.Tensor], state: dict[str, torch.Tensor]) -> str:
    """A hint when the file's names are the model's with a prefix added or removed.

    Checkpoints of `DataParallel` ("module.") or of a wrapping model ("model.") have
    such names; `load_weights` matches names exactly, as the language requires.
    """
    for have, want, where in ((state, params, "file"), (params, state, "model")):
        prefix = _common_prefix(have)
        if prefix and {name.removeprefix(prefix) for name in have} == set(want):
            return f" (every name in the {where} starts with '{prefix}'; names must match exactly)"
    return ""


def _common_prefix(names: dict[str, torch.Tensor]) -> str:
    """The first dotted component shared by every name, with its dot, or ""."""
    heads = {name.partition(".")[0] + "." for name in names if "." in name}
    return heads.pop() if len(heads) == 1 and all("." in name for name in names) else ""


def _summarise(problems: list[str]) -> str:
    """The problems as one message, the first few listed and the rest counted."""
    listed = "; ".join(problems[:_MAX_LISTED_PROBLEMS])
    extra = len(problems) - _MAX_LISTED_PROBLEMS
    return f"{listed}; and {extra} more" if extra > 0 else listed
