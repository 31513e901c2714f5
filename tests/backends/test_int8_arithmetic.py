"""Int8 arithmetic against NumPy, exactly: `tensorops.quantize`, `tensorops.dequantize` and
the int8 x int8 -> int32 `tensorops.matmul`, on the reference evaluator and on the torch
backend's generated code (`torch._int_mm`, and its float64 fallback)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType, f32, i8, i32
from xdsl.ir import Block, Operation, Region
from xdsl.utils.exceptions import VerifyException

from mlang.backends.reference.evaluator import EvalContext, run_function
from mlang.backends.torch.codegen import compile_functions, generate_module
from mlang.dialects.tensorops import DequantizeOp, MatmulOp, QuantizeOp

RNG = np.random.default_rng(7)
Run = Callable[[func.FuncOp, list[np.ndarray]], np.ndarray]


def np_quantize(x: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The definition: round half to even of x / scale, clamped to [-127, 127]."""
    return np.clip(np.rint(x / scale), -127, 127).astype(np.int8)


def np_int8_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The exact product, in int64, as int32."""
    return np.matmul(a.astype(np.int64), b.astype(np.int64)).astype(np.int32)


def element(a: np.ndarray) -> object:
    return {np.dtype(np.float32): f32, np.dtype(np.int8): i8, np.dtype(np.int32): i32}[a.dtype]


def function(build: Callable[..., Operation], inputs: list[np.ndarray]) -> func.FuncOp:
    """`func.func @f` of one op over arguments typed like `inputs`."""
    types = [TensorType(element(a), a.shape) for a in inputs]
    block = Block(arg_types=types)
    op = build(*block.args)
    block.add_ops([op, func.ReturnOp(op.results[0])])
    f = func.FuncOp("f", (types, [op.results[0].type]), Region(block))
    ModuleOp([f]).verify()
    return f


def run_reference(f: func.FuncOp, inputs: list[np.ndarray]) -> np.ndarray:
    return run_function(f, [torch.from_numpy(a) for a in inputs], EvalContext({}))[0].numpy()  # type: ignore[union-attr]


def run_torch(f: func.FuncOp, inputs: list[np.ndarray]) -> np.ndarray:
    return compile_functions([f])["f"]({}, *(torch.from_numpy(a) for a in inputs)).numpy()


BACKENDS: dict[str, Run] = {"reference": run_reference, "torch": run_torch}


def exactly(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("scale_shape", [(), (6, 1), (1, 5), (1, 1)],
                         ids=["tensor", "rows", "columns", "one"])
def test_quantize_and_dequantize(backend: str, scale_shape: tuple[int, ...]) -> None:
    x = (RNG.standard_normal((6, 5)) * 3).astype(np.float32)
    scale = RNG.uniform(0.01, 0.04, scale_shape).astype(np.float32)
    if scale_shape == (1, 1):
        scale[:] = 0.5
        x[0, :4] = [0.25, 0.75, -1.25, 300.0]  # ties round to even; 600 clamps
    q = BACKENDS[backend](function(QuantizeOp, [x, scale]), [x, scale])
    exactly(q, np_quantize(x, scale))
    assert np.abs(q).max() == 127
    d = BACKENDS[backend](function(DequantizeOp, [q, scale]), [q, scale])
    exactly(d, q.astype(np.float32) * scale)


@pytest.mark.parametrize("backend", BACKENDS)
def test_per_row_scales_of_batched_activations(backend: str) -> None:
    x = RNG.standard_normal((2, 3, 8)).astype(np.float32)
    scale = (np.abs(x).max(axis=-1, keepdims=True) / 127).astype(np.float32)
    q = BACKENDS[backend](function(QuantizeOp, [x, scale]), [x, scale])
    exactly(q, np_quantize(x, scale))
    assert (np.abs(q).max(axis=-1) == 127).all()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("lhs, rhs", [((5, 2048), (2048, 3)), ((2, 3, 16), (16, 8)),
                                      ((2, 4, 16), (2, 16, 3)), ((0, 8), (8, 4))],
                         ids=["long-k", "rows", "batched-rhs", "empty"])
def test_int8_product_accumulates_exactly_in_int32(
        backend: str, lhs: tuple[int, ...], rhs: tuple[int, ...]) -> None:
    a = RNG.integers(-127, 128, lhs, dtype=np.int8)
    b = RNG.integers(-127, 128, rhs, dtype=np.int8)
    if a.size:
        a.reshape(-1)[:2048], b.reshape(-1)[:2048] = 127, 127  # sums beyond float32's 2**24
    f = function(MatmulOp, [a, b])
    assert f.function_type.outputs.data[0].element_type == i32  # type: ignore[attr-defined]
    exactly(BACKENDS[backend](f, [a, b]), np_int8_matmul(a, b))


@pytest.mark.parametrize("rows, columns", [(3, 6), (1, 2), (33, 31)])
def test_kernel_products_of_one_input_feature(rows: int, columns: int) -> None:
    # A linear layer of one input feature reads its [out, 1] weight transposed: a view of
    # strides (1, 1), for which `torch._int_mm` on the CPU returns uninitialised memory.
    from mlang.backends.torch.kernels import int8_matmul

    a = torch.randint(-127, 128, (rows, 1), dtype=torch.int8)
    w = torch.randint(-127, 128, (columns, 1), dtype=torch.int8)
    exactly(int8_matmul(a, w.t()).numpy(), np_int8_matmul(a.numpy(), w.t().numpy()))


def test_torch_code_uses_int_mm() -> None:
    a, b = np.zeros((4, 8), np.int8), np.zeros((8, 3), np.int8)
    source = generate_module([function(MatmulOp, [a, b])])
    assert "from mlang.backends.torch.kernels import int8_matmul\n" in source
    assert "= int8_matmul(" in source.split("def f(")[1]


def test_int8_matmul_verifier() -> None:
    a = Block(arg_types=[TensorType(i8, [2, 4]), TensorType(i8, [4, 3]),
                         TensorType(f32, [4, 3])]).args
    assert MatmulOp(a[0], a[1]).result.type == TensorType(i32, [2, 3])
    wrong = MatmulOp.create(operands=[a[0], a[1]], result_types=[TensorType(i8, [2, 3])])
    with pytest.raises(VerifyException, match="does not match the inferred type"):
        wrong.verify()
    mixed = MatmulOp.create(operands=[a[0], a[2]], result_types=[TensorType(i32, [2, 3])])
    with pytest.raises(VerifyException):
        mixed.verify()
