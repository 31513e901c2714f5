"""The Triton printer's contracts: kernel summaries, block sizes read from the IR, and
errors that name the op (the torch printer's too, which prints host code)."""

from __future__ import annotations

from io import StringIO

import pytest
from xdsl.parser import Parser
from triton_testing import functions, lower

from mlang.backends.common.errors import CodegenError
from mlang.backends.triton.backend import emit_triton
from mlang.backends.triton.codegen import generate_module, kernel_summary
from mlang.backends.triton.device import DeviceEmitter, Tile
from mlang.dialects import make_context
from mlang.dialects.tensorops import ArgmaxOp
from mlang.support.diagnostics import InternalError


def test_summary_names_kernels_by_kind_and_the_ops_given_to_torch() -> None:
    module = lower("""
    func.func @f(%x: tensor<4x5xf32>) -> (tensor<5xi64>, tensor<4x5xf32>) {
      %a = tensorops.argmax %x axis 0 : tensor<4x5xf32> -> tensor<5xi64>
      %e = tensorops.exp %x : tensor<4x5xf32>
      func.return %a, %e : tensor<5xi64>, tensor<4x5xf32>
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




KERNEL_WITHOUT_SIZES = """
func.func @f(%x: tensor<5x37xf32>) -> tensor<5x37xf32> {
  %y = kernel.pointwise(%x) : (tensor<5x37xf32>) -> tensor<5x37xf32> {
  ^bb0(%0: tensor<5x37xf32>):
    %1 = tensorops.exp %0 : tensor<5x37xf32>
    kernel.yield %1 : tensor<5x37xf32>
  }
  func.return %y : tensor<5x37xf32>
}"""


def test_the_printer_prints_the_block_sizes_it_is_given_and_chooses_none() -> None:
    module = Parser(make_context(), KERNEL_WITHOUT_SIZES).parse_module()
    with pytest.raises(CodegenError, match="'kernel.pointwise' has no block sizes: run "
                                           "choose-block-sizes first"):
        generate_module(functions(module))


def test_emit_chooses_the_block_sizes_that_kernel_ir_lacks() -> None:
    out = StringIO()
    emit_triton(Parser(make_context(), KERNEL_WITHOUT_SIZES).parse_module(), make_context(), out)
    assert "BLOCK = 256" in out.getvalue()  # 185 elements: choose-block-sizes' heuristic


def test_an_error_of_the_torch_printer_is_an_internal_error_of_the_triton_backend() -> None:
    """Host code is printed by the torch printer; its errors are the one `CodegenError`,
    which the Triton backend reports as an internal error naming what it printed."""
    module = Parser(make_context(), """
    func.func @f(%a: f32, %b: f32) -> f32 {
      %c = arith.addf %a, %b : f32
      func.return %c : f32
    }""").parse_module()
    with pytest.raises(InternalError, match="triton backend: cannot generate the module "
                                            "functions: the torch backend cannot handle"):
        emit_triton(module, make_context(), StringIO())
