"""The kernel dialect's body analysis and outlining, through the Python API."""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.parser import Parser

from mlang.dialects import make_context
from mlang.dialects.kernel import PointwiseKernelOp, Role, split_body
from mlang.dialects.kernel.outline import Group, outline

SOURCE = """
func.func @f(%x: tensor<4x3xf32>, %y: tensor<3x4xf32>) -> (tensor<12xf32>, tensor<4x3xf32>) {
  %yt = tensorops.transpose %y [1, 0] : tensor<3x4xf32> -> tensor<4x3xf32>
  %two = tensorops.constant dense<2.000000e+00> : tensor<f32>
  %s = tensorops.mul %x, %two : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
  %t = tensorops.add %s, %yt : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
  %r = tensorops.reshape %t : tensor<4x3xf32> -> tensor<12xf32>
  %e = tensorops.exp %r : tensor<12xf32>
  func.return %e, %s : tensor<12xf32>, tensor<4x3xf32>
}
"""


def parse() -> func.FuncOp:
    module = Parser(make_context(), SOURCE).parse_module()
    return next(op for op in module.walk() if isinstance(op, func.FuncOp))


def test_outline_makes_inputs_outputs_and_clones_constants() -> None:
    f = parse()
    ops = list(f.body.block.ops)
    kernel = outline(PointwiseKernelOp, [ops[0], ops[2], ops[3], ops[4]])
    assert kernel is not None
    kernel.verify()
    assert [v.name_hint for v in kernel.inputs] == ["y", "x"]
    # %s escapes to the return, %r to the exp: two results.
    assert [str(r.type) for r in kernel.outputs] == ["tensor<4x3xf32>", "tensor<12xf32>"]
    assert not any(op.name == "tensorops.constant" for op in f.body.block.ops)
    body = split_body(kernel.block)
    assert [op.name for op in body.host] == ["tensorops.transpose"]
    assert [op.name for op in body.device] == ["tensorops.mul", "tensorops.add"]
    assert [op.name for op in body.epilogue] == ["tensorops.reshape"]
    assert [body.roles[o.root] for o in body.outputs] == [Role.DEVICE, Role.DEVICE]
    assert [len(o.views) for o in body.outputs] == [0, 1]


def test_a_group_that_would_make_a_cycle_is_refused() -> None:
    f = parse()
    ops = list(f.body.block.ops)
    # mul and exp without the add and reshape between them: not convex.
    assert not Group([ops[2], ops[5]]).is_convex()
    assert outline(PointwiseKernelOp, [ops[2], ops[5]]) is None
    assert len(list(f.body.block.ops)) == len(ops)
