"""Reading .safetensors and .pt weight files and assigning them to parameters."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import safetensors.torch
import torch
from torch import nn

from mlang.runtime.weights import assign_state_dict, read_state_dict
from mlang.support.diagnostics import UserError


def model_state() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)).state_dict()


@pytest.mark.parametrize("suffix", [".safetensors", ".pt", ".pth"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    state, path = model_state(), tmp_path / f"w{suffix}"
    if suffix == ".safetensors":
        safetensors.torch.save_file(dict(state), path)
    else:
        torch.save(state, path)
    loaded = read_state_dict(path)
    assert set(loaded) == set(state)
    assert all(loaded[name].equal(state[name]) for name in state)


def test_checkpoint_with_a_state_dict_entry(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.pt"
    torch.save({"state_dict": model_state(), "epoch": 3}, path)
    assert set(read_state_dict(path)) == set(model_state())


@pytest.mark.parametrize("key", ["model_state_dict", "model"])
def test_checkpoint_with_a_model_entry(tmp_path: Path, key: str) -> None:
    path = tmp_path / "ckpt.pt"
    optimizer = {"state": {}, "param_groups": [{"lr": 0.1}]}
    torch.save({key: model_state(), "optimizer_state_dict": optimizer, "epoch": 3}, path)
    assert set(read_state_dict(path)) == set(model_state())


def test_a_whole_pickled_model_is_named_briefly(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save(nn.Linear(2, 2), path)
    with pytest.raises(UserError) as info:
        read_state_dict(path)
    message = str(info.value)
    assert "it holds Python objects, not only tensors (Unsupported global" in message
    assert "\n" not in message and "\x1b" not in message and "add_safe_globals" not in message


def test_pickled_code_is_not_run(tmp_path: Path) -> None:
    path = tmp_path / "evil.pt"
    marker = tmp_path / "ran"
    path.write_bytes(pickle.dumps(_Exploit(str(marker))))
    with pytest.raises(UserError, match="cannot read .* as a PyTorch state_dict file"):
        read_state_dict(path)
    assert not marker.exists()


class _Exploit:
    """Unpickling this would create a file, if the reader ran code."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.marker, "w"))


READ_ERRORS = [
    ("w.safetensors", b"\x00garbage", "cannot read .* as a safetensors file"),
    ("w.pt", b"garbage", "cannot read .* as a PyTorch state_dict file"),
    ("w.bin", b"", r"expected a file ending in .safetensors, .pt, .pth"),
]


@pytest.mark.parametrize(("name", "content", "message"), READ_ERRORS)
def test_unreadable_files(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(UserError, match=message):
        read_state_dict(tmp_path / name)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such weights file"):
        read_state_dict(tmp_path / "none.pt")
    (tmp_path / "dir.pt").mkdir()
    with pytest.raises(UserError, match="is a directory, not a weights file"):
        read_state_dict(tmp_path / "dir.pt")


@pytest.mark.parametrize(
    ("content", "message"),
    [([torch.zeros(1)], "holds a list, not a state_dict"),
     ({"a": torch.zeros(1), "b": 3}, "entry 'b' holds int, not a tensor"),
     ({1: torch.zeros(1)}, "it has a key 1, not a name")],
)
def test_files_that_are_not_a_dict_of_tensors(
    tmp_path: Path, content: object, message: str
) -> None:
    path = tmp_path / "w.pt"
    torch.save(content, path)
    with pytest.raises(UserError, match=message):
        read_state_dict(path)


# ---------------------------------------------------------------------------- assign


def params() -> dict[str, torch.Tensor]:
    return {"fc1.weight": torch.zeros(4, 3), "fc1.bias": torch.zeros(4)}


def test_assign_copies_in_place_and_converts_dtype() -> None:
    target = params()
    weight = target["fc1.weight"]
    weight.requires_grad_(True)
    assign_state_dict(target, {"fc1.weight": torch.ones(4, 3, dtype=torch.float64),
                               "fc1.bias": torch.arange(4)})
    assert target["fc1.weight"] is weight and weight.dtype == torch.float32
    assert weight.detach().equal(torch.ones(4, 3))
    assert target["fc1.bias"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_every_problem_is_named_and_nothing_is_copied() -> None:
    target = params()
    state = {"fc1.weight": torch.ones(4, 5), "fc2.bias": torch.ones(1)}
    with pytest.raises(UserError) as info:
        assign_state_dict(target, state)
    message = str(info.value)
    assert "weight 'fc1.bias' is missing from the file" in message
    assert "the file has a weight 'fc2.bias' that the model does not have" in message
    assert ("weight 'fc1.weight' has shape [4, 5] in the file but the model expects [4, 3]"
            in message)
    assert target["fc1.weight"].equal(torch.zeros(4, 3))


def test_long_problem_lists_are_summarised() -> None:
    state = {f"extra{i}": torch.zeros(1) for i in range(14)}
    with pytest.raises(UserError, match="and 6 more$"):
        assign_state_dict(params(), state)


def test_complex_weights_are_not_truncated_to_real() -> None:
    state = {"fc1.weight": torch.ones(4, 3, dtype=torch.complex64), "fc1.bias": torch.ones(4)}
    with pytest.raises(UserError, match="weight 'fc1.weight' is complex"):
        assign_state_dict(params(), state)


@pytest.mark.parametrize("prefix", ["module.", "model."])
def test_a_prefix_on_every_name_is_pointed_out(prefix: str) -> None:
    state = {prefix + name: value for name, value in params().items()}
    with pytest.raises(UserError, match=f"every name in the file starts with '{prefix}'"):
        assign_state_dict(params(), state)
