"""Int8 on the Triton backend (under the interpreter): the int8 x int8 -> int32 product as
`tl.dot` on int8 tiles, against NumPy exactly; and the three forms of a linear layer
that the `quantize` pass makes, against the torch backend's code for the same IR."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from triton_testing import assert_close, kernels, run_both

from mlang.backends.triton.codegen import generate_module
from mlang.dialects import make_context
from mlang.dialects.model.structure import DefOp


@pytest.mark.parametrize("small", [False, True])
def test_int8_product_is_exact_beyond_float32(small: bool) -> None:
    m, k, n = 3, 1100, 5  # 1100 * 127 * 127 > 2**24: a float32 accumulator would round
    text = f"""
    func.func @f(%a: tensor<{m}x{k}xi8>, %b: tensor<{k}x{n}xi8>) -> tensor<{m}x{n}xi32> {{
      %p = tensorops.matmul %a, %b : tensor<{m}x{k}xi8>, tensor<{k}x{n}xi8> -> tensor<{m}x{n}xi32>
      func.return %p : tensor<{m}x{n}xi32>
    }}
    """
    a = torch.randint(-127, 128, (m, k), dtype=torch.int8)
    b = torch.randint(-127, 128, (k, n), dtype=torch.int8)
    a[0], b[:, 0] = 127, 127
    got, want, module = run_both(text, "f", [a, b], small)
    assert kernels(module) == ["matmul"]
    exact = np.matmul(a.numpy().astype(np.int64), b.numpy().astype(np.int64)).astype(np.int32)
    np.testing.assert_array_equal(got[0].numpy(), exact)
    assert_close(got, want)


LINEAR = {
    # x / 16 feeds a linear layer with bias and relu, as `quantize` leaves it per mode.
    "weight": """
      %w = tensorops.dequantize %q, %s : tensor<24x40xi8>, tensor<24x1xf32> -> tensor<24x40xf32>
      %wt = tensorops.transpose %w [1, 0] : tensor<24x40xf32> -> tensor<40x24xf32>
      %p = tensorops.matmul %h, %wt : tensor<?x40xf32>, tensor<40x24xf32> -> tensor<?x24xf32>
    """,
    "dynamic": """
      %hi = tensorops.reduce_max %h axes [1] keepdim : tensor<?x40xf32> -> tensor<?x1xf32>
      %lo = tensorops.reduce_min %h axes [1] keepdim : tensor<?x40xf32> -> tensor<?x1xf32>
      %nl = tensorops.neg %lo : tensor<?x1xf32>
      %am = tensorops.maximum %hi, %nl : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x1xf32>
      %c = tensorops.constant dense<1.270000e+02> : tensor<f32>
      %s0 = tensorops.div %am, %c : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
      %z = tensorops.constant dense<0.000000e+00> : tensor<f32>
      %pos = tensorops.gt %s0, %z : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xi1>
      %one = tensorops.constant dense<1.000000e+00> : tensor<f32>
      %xs = tensorops.select %pos, %s0, %one : tensor<?x1xi1>, tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
      %xq = tensorops.quantize %h, %xs : tensor<?x40xf32>, tensor<?x1xf32> -> tensor<?x40xi8>
      %qt = tensorops.transpose %q [1, 0] : tensor<24x40xi8> -> tensor<40x24xi8>
      %st = tensorops.transpose %s [1, 0] : tensor<24x1xf32> -> tensor<1x24xf32>
      %pi = tensorops.matmul %xq, %qt : tensor<?x40xi8>, tensor<40x24xi8> -> tensor<?x24xi32>
      %pf = tensorops.cast %pi : tensor<?x24xi32> -> tensor<?x24xf32>
      %r = tensorops.mul %pf, %xs : tensor<?x24xf32>, tensor<?x1xf32> -> tensor<?x24xf32>
      %p = tensorops.mul %r, %st : tensor<?x24xf32>, tensor<1x24xf32> -> tensor<?x24xf32>
    """,
}
LINEAR["static"] = """
      %xs = tensorops.constant dense<2.000000e-02> : tensor<f32>
      %xq = tensorops.quantize %h, %xs : tensor<?x40xf32>, tensor<f32> -> tensor<?x40xi8>
      %qt = tensorops.transpose %q [1, 0] : tensor<24x40xi8> -> tensor<40x24xi8>
      %st = tensorops.transpose %s [1, 0] : tensor<24x1xf32> -> tensor<1x24xf32>
      %pi = tensorops.matmul %xq, %qt : tensor<?x40xi8>, tensor<40x24xi8> -> tensor<?x24xi32>
      %pf = tensorops.cast %pi : tensor<?x24xi32> -> tensor<?x24xf32>
      %r = tensorops.mul %pf, %xs : tensor<?x24xf32>, tensor<f32> -> tensor<?x24xf32>
      %p = tensorops.mul %r, %st : tensor<?x24xf32>, tensor<1x24xf32> -> tensor<?x24xf32>
    """


def linear_ir(body: str) -> str:
    return f"""
    func.func @f(%x: tensor<?x40xf32>, %q: tensor<24x40xi8>, %s: tensor<24x1xf32>, %b: tensor<24xf32>) -> tensor<?x24xf32> {{
      %c16 = tensorops.constant dense<1.600000e+01> : tensor<f32>
      %h = tensorops.div %x, %c16 : tensor<?x40xf32>, tensor<f32> -> tensor<?x40xf32>
      {body}
      %y = tensorops.add %p, %b : tensor<?x24xf32>, tensor<24xf32> -> tensor<?x24xf32>
      %zero = tensorops.constant dense<0.000000e+00> : tensor<f32>
      %r2 = tensorops.maximum %y, %zero : tensor<?x24xf32>, tensor<f32> -> tensor<?x24xf32>
      func.return %r2 : tensor<?x24xf32>
    }}
    """


@pytest.mark.parametrize("mode, expected", [
    ("weight", ["matmul"]),  # the dequantize and the x / 16 scaling are in the matmul
    ("dynamic", ["reduction", "matmul"]),  # x / 16 and its row quantization in one kernel
    ("static", ["matmul"]),
])
def test_quantized_linear_kernels(mode: str, expected: list[str]) -> None:
    text = linear_ir(LINEAR[mode])
    x = torch.randn(9, 40) * 16
    x[3] = 0.0  # an all-zero row: scale 1
    q = torch.randint(-127, 128, (24, 40), dtype=torch.int8)
    s, b = torch.rand(24, 1) / 100, torch.randn(24)
    got, want, module = run_both(text, "f", [x, q, s, b], small=True,
                                 pipeline="canonicalize,cse,lower-to-kernel")
    assert kernels(module) == expected
    if mode == "weight":
        assert_close(got, want)  # float products: equal to rounding
    else:
        torch.testing.assert_close(got[0], want[0], rtol=0, atol=0)  # int8: exactly
    source = generate_module([f for f in module.walk() if f.name == "func.func"])
    assert ("out_dtype=tl.int32" in source) == (mode != "weight")


def test_quantized_model_definition_lowers_to_kernels() -> None:
    """The Triton pipeline takes a quantized `model.def` (tensor level) as it is."""
    from xdsl.dialects.builtin import ModuleOp

    from mlang.backends.triton.backend import generate_definition
    from mlang.frontend import compile_source
    from mlang.runtime.quantize import run_pipeline

    source = "model M() = Linear(8, 16) |> relu |> Linear(16, 4)\nlet m = M()\n"
    module = compile_source(source, "m.m")
    definition = next(op for op in module.ops if isinstance(op, DefOp)).clone()
    quantized = ModuleOp([definition])
    run_pipeline(quantized, "lower-to-tensor,quantize{mode=dynamic}")
    python = generate_definition(definition, make_context())
    assert python.count("out_dtype=tl.int32") == 2


@pytest.mark.parametrize("mode", ["dynamic", "static"])
def test_an_old_gpu_runs_int8_products_through_pytorch(
        mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a GPU below sm_80 (faked: `launch.compute_capability` says 75) the int8 matmul
    kernel, which Triton cannot compile there, takes its declared PyTorch form, exactly;
    other kernels still launch."""
    from triton.runtime.interpreter import InterpretedFunction

    from mlang.backends.triton import launch

    launched: list[str] = []
    run = InterpretedFunction.run

    def spy(self: InterpretedFunction[object], *args: object, **kwargs: object) -> object:
        launched.append(self.fn.__name__)
        return run(self, *args, **kwargs)

    monkeypatch.setattr(InterpretedFunction, "run", spy)
    torch.manual_seed(3)
    x = torch.randn(9, 40) * 16
    q = torch.randint(-127, 128, (24, 40), dtype=torch.int8)
    s, b = torch.rand(24, 1) / 100, torch.randn(24)
    args = [x, q, s, b]
    pipeline = "canonicalize,cse,lower-to-kernel"
    _, want, _ = run_both(linear_ir(LINEAR[mode]), "f", args, True, pipeline)
    assert any("matmul" in name for name in launched)
    launched.clear()
    monkeypatch.setattr(launch, "compute_capability", lambda device: 75)
    got, _, module = run_both(linear_ir(LINEAR[mode]), "f", args, True, pipeline)
    assert not any("matmul" in name for name in launched)
    assert len(launched) == len(kernels(module)) - 1  # the dynamic row scales still launch
    torch.testing.assert_close(got[0], want[0], rtol=0, atol=0)
    source = generate_module([f for f in module.walk() if f.name == "func.func"])
    assert "if launch.falls_back(device, 80):  # kernel.matmul of int8 operands" in source
    assert 'ARCH_FALLBACKS = {"f_matmul' in source
