"""Loading a Hugging Face checkpoint folder into a standard-library model (`pretrained`'s
run-time half; frontend/pretrained.py builds the model from config.json).

The weights are `model.safetensors`, or the shards `model.safetensors.index.json` lists,
or `pytorch_model.bin` (and its index), read with `weights_only=True`. Tensors of another
float type (bf16, f16) are converted to the model's. Names match exactly, with what
Hugging Face's own loading allows: a base model's file loads into a task model (names
gain the base prefix, `bert.`) and a task model's into the base model (they lose it; the
head's tensors are unused); the fields of a new head (`labels=K`) keep their
initialisation unless the file has them with the model's shapes. What is initialised or
left unused is reported in one note; any other missing, unexpected or misshapen tensor is
an error that names it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import torch

from mlang.dialects.model.host import LoadPretrainedOp
from mlang.dialects.model.structure import DefOp, InstantiateOp
from mlang.runtime.model import ModelInstance
from mlang.runtime.notes import note
from mlang.runtime.weights import (
    NameMap,
    assign_state_dict,
    read_state_dict,
    read_torch_state_dict,
)
from mlang.support.diagnostics import UserError

# Names of old checkpoints (converted from TensorFlow) that Hugging Face renames on loading.
_LEGACY_NAMES = NameMap(rename={"LayerNorm.gamma": "LayerNorm.weight",
                                "LayerNorm.beta": "LayerNorm.bias"})

# Non-persistent buffers that older `transformers` versions saved; no model has them
# (BERT's position ids; GPT-2's causal mask and its fill value, as in the hub's `gpt2`).
_IGNORED_SUFFIXES = (".position_ids", ".attn.bias", ".attn.masked_bias")


def checkpoint_files(folder: Path) -> list[Path]:
    """The weight files of a checkpoint folder, shards in order."""
    for index, single in (("model.safetensors.index.json", "model.safetensors"),
                          ("pytorch_model.bin.index.json", "pytorch_model.bin")):
        if (folder / index).is_file():
            return shard_files(folder / index)
        if (folder / single).is_file():
            return [folder / single]
    raise UserError(f"pretrained: no weights in '{folder}' (expected model.safetensors, "
                    "model.safetensors.index.json or pytorch_model.bin)")


def shard_files(index: Path) -> list[Path]:
    """The shards a `*.index.json` lists in its `weight_map`, each once, in order."""
    try:
        weight_map = json.loads(index.read_text())["weight_map"]
        names = sorted(set(weight_map.values()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise UserError(f"pretrained: cannot read the shard index '{index}': {err}") from None
    missing = [n for n in names if not (index.parent / n).is_file()]
    if missing:
        raise UserError(f"pretrained: shard '{missing[0]}' that '{index.name}' lists is "
                        f"missing from '{index.parent}'")
    return [index.parent / n for n in names]


def read_checkpoint(folder: Path) -> dict[str, torch.Tensor]:
    """Every tensor of the checkpoint's weight files, by name, legacy names updated."""
    state: dict[str, torch.Tensor] = {}
    for path in checkpoint_files(folder):
        state.update(read_torch_state_dict(path) if path.suffix == ".bin"
                     else read_state_dict(path))
    return {n: t for n, t in _LEGACY_NAMES.apply(state).items()
            if not n.endswith(_IGNORED_SUFFIXES)}


def rebased(state: dict[str, torch.Tensor], params: Sequence[str],
            base: str) -> dict[str, torch.Tensor]:
    """The file's names in the model's terms: a base model's file in a task model gains
    `base.`; a task model's file in the base model keeps only what is under `base.`, less
    the prefix (its other tensors, the head's, stay under their own names: unused)."""
    prefix = f"{base}."
    in_model = any(n.startswith(prefix) for n in params)
    in_file = any(n.startswith(prefix) for n in state)
    if in_model and not in_file:
        return {prefix + n: t for n, t in state.items()}
    if in_file and not in_model:
        return {n.removeprefix(prefix): t for n, t in state.items()}
    return state


def checkpoint_parameters(instantiate: InstantiateOp, definition: DefOp) -> set[str]:
    """The parameters of a new model that `pretrained` fills from its checkpoint right
    after making it (all but those of its fresh fields): they need no random
    initialisation, which Hugging Face skips too (for BERT-base, most of a warm load)."""
    load = next((use.operation for use in instantiate.results[0].uses
                 if isinstance(use.operation, LoadPretrainedOp)), None)
    if load is None:
        return set()
    fresh = tuple(f"{f.data}." for f in load.fresh.data) if load.fresh else ()
    return {p.sym_name.data for p in definition.params
            if not p.sym_name.data.startswith(fresh)}


def load_pretrained(model: ModelInstance, folder: str, base: str, fresh: Sequence[str],
                    other_head: bool) -> None:
    """Fills a std model from a checkpoint folder; `fresh` fields keep their
    initialisation where the file lacks them or has other shapes; with `other_head` (the
    file is of another architecture) the file's unused tensors are noted, not refused."""
    params = model.params
    state = rebased(read_checkpoint(Path(folder)), list(params), base)

    def is_fresh(name: str) -> bool:
        return any(name.startswith(f"{f}.") for f in fresh)

    new = sorted(n for n in params if is_fresh(n) and (
        n not in state or state[n].shape != params[n].shape))
    unused = sorted(n for n in state if n not in params) if other_head else []
    wanted = {n: p for n, p in params.items() if n not in new}
    given = {n: t for n, t in state.items() if n not in new and n not in unused}
    with torch.no_grad():
        assign_state_dict(wanted, given, model.definition.ties, strict=True)
    report(model.name, folder, new, unused)


def report(model: str, folder: str, new: list[str], unused: list[str]) -> None:
    """One note, as Hugging Face's, on what was initialised anew and what was unused."""
    parts = []
    if new:
        parts.append(f"some weights of {model} were not in the checkpoint at '{folder}' "
                     f"and are newly initialized: {new}; train the model on a down-stream "
                     "task to use it for predictions")
    if unused:
        parts.append(f"some weights of the checkpoint were not used by {model}: {unused}")
    if parts:
        note("; ".join(parts))
