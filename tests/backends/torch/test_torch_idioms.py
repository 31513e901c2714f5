"""Instruction selection in the torch backend (`passes/select_torch_calls.py`): which
patterns become one `torchcall` op and so one PyTorch call, that they compute what the
ops they replace compute, and that a pattern whose inner values are read elsewhere stays
as it is."""

from __future__ import annotations

import textwrap

import pytest
import torch
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from mlang.backends import RunOptions, get_backend
from mlang.backends.torch import backend, codegen
from mlang.backends.torch.context import KERNELS
from mlang.dialects import make_context
from mlang.dialects.model.structure import DefOp
from mlang.frontend import compile_source
from mlang.passes.select_torch_calls import SelectTorchCalls

PROGRAM = textwrap.dedent("""
    model Block() {
        fc = Linear(6, 8)
        bare = Linear(8, 8, bias=false)
        norm = LayerNorm(8)
        fn forward(x: f32[N, 6]) -> f32[N, 8] {
            let h = norm(gelu(fc(x)))
            let s = softmax(bare(h), axis=-1) + log_softmax(h, axis=-1)
            return silu(s) * 0.5 + relu(2.0 - h) / 3.0
        }
    }
    let b = Block()
""")

CALLS = [
    "torch.nn.functional.linear(x, v0, v1)", "torch.nn.functional.gelu(",
    "torch.nn.functional.layer_norm(", "torch.softmax(", "torch.log_softmax(",
    "torch.nn.functional.silu(", "torch.relu(", "* 0.5)", "(2.0 - ", "/ 3.0)",
]


def _definition(source: str) -> DefOp:
    """The lowered `model.def` of a program."""
    module = compile_source(source, "idioms.m")
    definition = next(op for op in module.ops if isinstance(op, DefOp))
    lowered = ModuleOp([definition.clone()])
    backend.lower_to_tensor(lowered)
    return next(op for op in lowered.ops if isinstance(op, DefOp))


def _selected_ops(functions: list[func.FuncOp]) -> list[str]:
    """The names of the ops of `functions` after `select-torch-calls`, on copies."""
    module = ModuleOp([f.clone() for f in functions])
    SelectTorchCalls().apply(make_context(), module)
    return [op.name for op in module.walk()]


def _params(definition: DefOp) -> dict[str, torch.Tensor]:
    """Random values for every parameter."""
    torch.manual_seed(0)
    return {p.sym_name.data: torch.randn(p.param_type.get_shape()) for p in definition.params}


SELECTED = [
    "torchcall.linear", "torchcall.gelu", "torchcall.layer_norm", "torchcall.softmax",
    "torchcall.log_softmax", "torchcall.silu", "torchcall.relu", "torchcall.tensor_scalar",
    "torchcall.scalar_tensor",
]


def test_each_pattern_becomes_one_call() -> None:
    functions = backend.functions_in(_definition(PROGRAM))
    ops = _selected_ops(functions)
    assert set(SELECTED) <= set(ops), ops
    assert not {"tensorops.erf", "tensorops.reduce_max", "tensorops.reduce_mean"} & set(ops)
    python = codegen.generate_module(functions)
    for call in CALLS:
        assert call in python, f"{call} not in\n{python}"
    assert "torch.erf" not in python and "torch.amax" not in python and "torch.tensor(" not in python


def test_selected_code_computes_what_the_ops_compute() -> None:
    definition = _definition(PROGRAM)
    functions = backend.functions_in(definition)
    selected = codegen.load_module(codegen.generate_module(functions))["forward"]
    primitive_source = codegen.generate_module(functions, select=False)
    assert "torch.nn.functional" not in primitive_source
    primitive = codegen.load_module(primitive_source)["forward"]
    params, x = _params(definition), torch.randn(5, 6)
    torch.testing.assert_close(selected(params, x), primitive(params, x), rtol=1e-5, atol=1e-6)


def test_training_through_selected_calls_matches_reference() -> None:
    definition = _definition(PROGRAM)
    params = {k: v.requires_grad_() for k, v in _params(definition).items()}
    x = torch.randn(5, 6)
    out = get_backend("torch").compile(definition).run("forward", params, [x], RunOptions())[0]
    out.sum().backward()
    grads = {k: v.grad.clone() for k, v in params.items()}  # type: ignore[union-attr]
    for v in params.values():
        v.grad = None
    want = get_backend("reference").compile(definition).run("forward", params, [x], RunOptions())[0]
    want.sum().backward()
    torch.testing.assert_close(out, want, rtol=1e-4, atol=1e-5)
    for k, v in params.items():
        torch.testing.assert_close(grads[k], v.grad, rtol=1e-4, atol=1e-5, msg=k)


RMS_PROGRAM = textwrap.dedent("""
    model Block() {
        fc = Linear(6, 8)
        norm = RMSNorm(8)
        fn forward(x: f32[N, 6]) -> f32[N, 8] {
            return silu(norm(fc(x)))
        }
    }
    let b = Block()
""")


def test_an_rms_norm_is_one_call_that_matches_reference() -> None:
    definition = _definition(RMS_PROGRAM)
    python = codegen.generate_module(backend.functions_in(definition))
    assert python.count("torch.nn.functional.rms_norm(") == 1, python
    assert "torch.rsqrt" not in python and "torch.mean" not in python, python
    params, x = _params(definition), torch.randn(5, 6)
    out = get_backend("torch").compile(definition).run("forward", params, [x], RunOptions())[0]
    want = get_backend("reference").compile(definition).run("forward", params, [x], RunOptions())[0]
    torch.testing.assert_close(out, want, rtol=1e-5, atol=1e-5)


SHARED_EXP = """
func.func @f(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %m = tensorops.reduce_max %x axes [1] keepdim : tensor<?x8xf32> -> tensor<?x1xf32>
  %d = tensorops.sub %x, %m : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  %e = tensorops.exp %d : tensor<?x8xf32>
  %s = tensorops.reduce_sum %e axes [1] keepdim : tensor<?x8xf32> -> tensor<?x1xf32>
  %y = tensorops.div %e, %s : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  func.return %y, %e : tensor<?x8xf32>, tensor<?x8xf32>
}
"""


def test_a_pattern_whose_inner_value_escapes_stays_as_ops() -> None:
    assert "torchcall.softmax" not in _selected_ops(codegen._parse_functions(SHARED_EXP))
    python = codegen.generate_module(codegen._parse_functions(SHARED_EXP))
    assert "torch.softmax" not in python and "torch.exp(" in python
    y, e = codegen.load_module(python)["f"]({}, x := torch.randn(3, 8))
    torch.testing.assert_close(y, torch.softmax(x, -1))
    torch.testing.assert_close(e, torch.exp(x - x.amax(-1, keepdim=True)))


def test_values_are_deleted_after_their_last_use_and_dead_ops_dropped() -> None:
    source = """
    func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
      %a = tensorops.exp %x : tensor<4xf32>
      %unused = tensorops.neg %x : tensor<4xf32>
      %b = tensorops.mul %a, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
      %c = tensorops.dropout %b p 0.5 : tensor<4xf32>
      %d = tensorops.tanh %b : tensor<4xf32>
      func.return %d : tensor<4xf32>
    }
    """
    body = codegen.generate_module(codegen._parse_functions(source)).split('"""\n')[2]
    assert body.splitlines()[:8] == [
        "    a = torch.exp(x)",
        "    b = torch.mul(a, x)",
        "    del a, x",
        "    c = torch.nn.functional.dropout(b, 0.5, training=training)",
        "    del c",
        "    d = torch.tanh(b)",
        "    del b",
        "    return d",
    ]


def test_every_kernel_named_by_the_printer_exists() -> None:
    from mlang.backends.torch import kernels

    assert all(callable(getattr(kernels, name)) for name in KERNELS)


def test_an_input_of_the_call_is_never_an_inner_value() -> None:
    source = """
    func.func @f(%x: tensor<3x3xf32>) -> tensor<3x3xf32> {
      %t = tensorops.transpose %x [1, 0] : tensor<3x3xf32> -> tensor<3x3xf32>
      %y = tensorops.matmul %t, %t : tensor<3x3xf32>, tensor<3x3xf32> -> tensor<3x3xf32>
      func.return %y : tensor<3x3xf32>
    }
    """
    assert "torchcall.linear" not in _selected_ops(codegen._parse_functions(source))
    python = codegen.generate_module(codegen._parse_functions(source))
    assert "linear" not in python
    x = torch.randn(3, 3)
    torch.testing.assert_close(codegen.load_module(python)["f"]({}, x), x.T @ x.T)


def test_arithmetic_with_constants_is_exact() -> None:
    # Each form must give the bits of the op on a 0-d tensor: Python's `c / x` would not
    # (torch computes it as `c * reciprocal(x)`).
    source = """
    func.func @f(%x: tensor<64xf32>) -> (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) {
      %c = tensorops.constant dense<3.0> : tensor<f32>
      %a = tensorops.div %c, %x : tensor<f32>, tensor<64xf32> -> tensor<64xf32>
      %b = tensorops.div %x, %c : tensor<64xf32>, tensor<f32> -> tensor<64xf32>
      %s = tensorops.sub %c, %x : tensor<f32>, tensor<64xf32> -> tensor<64xf32>
      %m = tensorops.mul %c, %x : tensor<f32>, tensor<64xf32> -> tensor<64xf32>
      func.return %a, %b, %s, %m : tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
    }
    """
    python = codegen.generate_module(codegen._parse_functions(source))
    assert "torch.tensor(" not in python and "torch.div(3.0, x)" in python
    x, c = torch.randn(64), torch.tensor(3.0)
    got = codegen.load_module(python)["f"]({}, x)
    want = (torch.div(c, x), torch.div(x, c), torch.sub(c, x), torch.mul(c, x))
    for g, w in zip(got, want):
        assert torch.equal(g, w)


def test_a_layer_called_twice_is_two_linear_calls() -> None:
    # Both calls read one transpose of the weight, which no longer kept them as matmuls.
    source = textwrap.dedent("""
        model Twice() {
            fc = Linear(4, 4)
            bare = Linear(4, 4, bias=false)
            fn forward(x: f32[N, 4]) -> f32[N, 4] { return bare(bare(fc(fc(x)))) }
        }
        let t = Twice()
    """)
    definition = _definition(source)
    python = codegen.generate_module(backend.functions_in(definition))
    assert python.count("torch.nn.functional.linear(") == 4, python
    assert "torch.matmul" not in python and "torch.permute" not in python
    params, x = _params(definition), torch.randn(3, 4)
    want = get_backend("reference").compile(definition).run("forward", params, [x], RunOptions())
    got = codegen.load_module(python)["forward"](params, x)
    torch.testing.assert_close(got, want[0], rtol=1e-5, atol=1e-6)


def test_maximum_with_negative_zero_is_no_relu() -> None:
    # maximum(-1, -0.0) is -0.0, and relu(-1) is +0.0: 1 / y tells them apart.
    source = """
    func.func @f(%x: tensor<3xf32>) -> tensor<3xf32> {
      %z = tensorops.constant dense<-0.0> : tensor<f32>
      %y = tensorops.maximum %x, %z : tensor<3xf32>, tensor<f32> -> tensor<3xf32>
      func.return %y : tensor<3xf32>
    }
    """
    assert "torchcall.relu" not in _selected_ops(codegen._parse_functions(source))
    python = codegen.generate_module(codegen._parse_functions(source))
    assert "torch.relu" not in python
    y = codegen.load_module(python)["f"]({}, torch.tensor([-1.0, 0.0, 2.0]))
    assert torch.equal(1 / y, torch.tensor([-float("inf"), float("inf"), 0.5]))


def test_a_quantized_layer_called_twice_is_two_int8_linear_calls() -> None:
    source = textwrap.dedent("""
        model Twice() {
            fc = Linear(4, 4)
            fn forward(x: f32[N, 4]) -> f32[N, 4] {
                return fc(relu(fc(x)))
            }
        }
        let t = Twice()
    """)
    module = compile_source(source, "twice.m")
    definition = next(op for op in module.ops if isinstance(op, DefOp))
    from mlang.runtime.model import ModelInstance
    from mlang.runtime.quantize import quantize_model

    torch.manual_seed(0)
    model = ModelInstance.create(definition, get_backend("reference").compile(definition), "cpu")
    x, outputs = torch.randn(3, 4), []
    for name in ("torch", "reference"):
        quantized = quantize_model(model, "int8", "dynamic", None, get_backend(name))
        if name == "torch":
            python = backend.generate_definition(quantized.definition)
            assert python.count("int8_linear(") == 2 and "torch.permute" not in python
        outputs.append(quantized.compiled.run("forward", quantized.params, [x], RunOptions())[0])
    torch.testing.assert_close(outputs[0], outputs[1], rtol=1e-5, atol=1e-6)


ROW_SCALE_THEN_QUANTIZE = """
func.func @f(%x: tensor<?x4xf32>) -> (tensor<?x4xi8>, tensor<?x1xf32>) {
  %hi = tensorops.reduce_max %x axes [1] keepdim : tensor<?x4xf32> -> tensor<?x1xf32>
  %lo = tensorops.reduce_min %x axes [1] keepdim : tensor<?x4xf32> -> tensor<?x1xf32>
  %neg = tensorops.neg %lo : tensor<?x1xf32>
  %absmax = tensorops.maximum %hi, %neg : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x1xf32>
  %qmax = tensorops.constant dense<1.270000e+02> : tensor<f32>
  %s0 = tensorops.div %absmax, %qmax : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
  %zero = tensorops.constant dense<0.000000e+00> : tensor<f32>
  %positive = tensorops.gt %s0, %zero : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xi1>
  %one = tensorops.constant dense<1.000000e+00> : tensor<f32>
  %xs = tensorops.select %positive, %s0, %one : tensor<?x1xi1>, tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
  EARLY
  %xq = tensorops.quantize %x, %xs : tensor<?x4xf32>, tensor<?x1xf32> -> tensor<?x4xi8>
  %late = tensorops.neg %xs : tensor<?x1xf32>
  func.return %xq, RESULT : tensor<?x4xi8>, tensor<?x1xf32>
}
"""


@pytest.mark.parametrize("early", [False, True])
def test_a_row_scale_and_its_quantize_are_one_call_unless_the_scale_is_read_first(
        early: bool) -> None:
    """`xq, xs = int8_quantize_rows(x, 1)` defines the scales where the quantize was:
    a reader of the scales before that point keeps the two calls apart."""
    source = ROW_SCALE_THEN_QUANTIZE.replace(
        "EARLY", "%early = tensorops.neg %xs : tensor<?x1xf32>" if early else "").replace(
        "RESULT", "%early" if early else "%late")
    functions = codegen._parse_functions(source)
    ops = _selected_ops(functions)
    assert ("torchcall.int8_quantize_rows" in ops) != early and "tensorops.select" not in ops
    python = codegen.generate_module(functions)
    fused = "xq, xs = int8_quantize_rows(x, 1)" in python
    assert fused != early, python
    assert ("int8_row_scale(x, 1)" in python) == early
    x = torch.randn(5, 4)
    x[2] = 0.0
    xq, negated = codegen.load_module(python)["f"]({}, x)
    scales = torch.where(x.abs().amax(1, keepdim=True) > 0, x.abs().amax(1, keepdim=True) / 127, 1.0)
    assert torch.equal(negated, -scales)
    assert torch.equal(xq, torch.div(x, scales).round().clamp(-127, 127).to(torch.int8))
