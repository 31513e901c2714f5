"""How print shows values."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlang.runtime.datasets import Dataset
from mlang.runtime.printing import format_value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.1 + 0.2, "0.3"),
        (1.0, "1"),
        (1234567.0, "1.23457e+06"),
        (1e-7, "1e-07"),
        (float("nan"), "nan"),
        (-float("inf"), "-inf"),
        (42, "42"),
        (-3, "-3"),
        (True, "true"),
        (False, "false"),
        ("fp32 accuracy:", "fp32 accuracy:"),
        (None, "none"),
        ([1, 2.5, "a"], "[1, 2.5, a]"),
        ((0.5, [True]), "(0.5, [true])"),
        ((3,), "(3,)"),
        ([], "[]"),
    ],
)
def test_scalars_and_containers(value: object, text: str) -> None:
    assert format_value(value) == text


@pytest.mark.parametrize(
    "tensor",
    [
        torch.tensor([[1.0, 2.5], [3.0, 4.0]]),
        torch.arange(5),
        torch.tensor([True, False]),
        torch.tensor(0.25),
        torch.zeros(0, 2),
        torch.tensor([1, -2], dtype=torch.int8),
        torch.tensor([1.5], dtype=torch.float16),
    ],
)
def test_tensors_print_as_numpy(tensor: torch.Tensor) -> None:
    assert format_value(tensor) == str(tensor.numpy())


def test_bf16_and_grad_tensors() -> None:
    assert format_value(torch.tensor([1.5, 2.0], dtype=torch.bfloat16)) == "[1.5 2. ]"
    weight = torch.ones(2, requires_grad=True)
    assert format_value(weight * 2) == str(np.array([2.0, 2.0], dtype=np.float32))


def test_dataset() -> None:
    data = Dataset(torch.zeros(1437, 64), torch.zeros(1437, dtype=torch.int64))
    assert format_value(data) == "<dataset rows=1437 features=64>"
