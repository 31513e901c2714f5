"""The Triton printer's contracts: kernel summaries, and errors that name the op."""

from __future__ import annotations

import pytest
from xdsl.parser import Parser
from triton_testing import functions, lower

from mlang.backends.triton.codegen import generate_module, kernel_summary
from mlang.backends.triton.device import CodegenError, DeviceEmitter, Tile
from mlang.dialects import make_context
from mlang.dialects.tensorops import ArgmaxOp


def test_summary_names_kernels_by_kind_and_the_ops_given_to_torch() -> None:
    module = lower("""
    func.func @f(%x: tensor<4x5xf32>) -> (tensor<4xi64>, tensor<4x5xf32>) {
      %a = tensorops.argmax %x axis 1 : tensor<4x5xf32> -> tensor<4xi64>
      %e = tensorops.exp %x : tensor<4x5xf32>
      func.return %a, %e : tensor<4xi64>, tensor<4x5xf32>
    }
    """)
    summary = kernel_summary(functions(module)[0])
    assert summary == "@f: 2 kernels (1 extern, 1 pointwise); torch: tensorops.argmax"
    assert f"# {summary}" in generate_module(functions(module))


def test_an_op_without_a_device_form_is_an_error_naming_it() -> None:
    module = Parser(make_context(), """
    func.func @f(%x: tensor<4x5xf32>) -> tensor<4xi64> {
      %a = tensorops.argmax %x axis 1 : tensor<4x5xf32> -> tensor<4xi64>
      func.return %a : tensor<4xi64>
    }""").parse_module()
    argmax = next(op for op in module.walk() if isinstance(op, ArgmaxOp))
    with pytest.raises(CodegenError, match="cannot handle 'tensorops.argmax' inside a kernel"):
        DeviceEmitter().emit(argmax, Tile())


