"""`infer-shapes`: refines unknown sizes in results of model-level ops.

In: model-level IR in which some result types hold `?` where the operands already
determine the size (hand-written IR, or IR after a rewrite that lost precision).
Out: the same ops with those sizes filled in, each op's shape coming from its
`ShapedResult.result_shape` (the shape-inference interface, never a switch here); a
method whose returned value became more precise gets its signature updated to match.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import FunctionType, ModuleOp, TensorType
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter, PatternRewriteWalker, RewritePattern,
)

from mlang.dialects.model.base import ShapedResult
from mlang.dialects.model.types import shape_of, tensor_type
from mlang.support.pass_statistics import Statistic
from mlang.support.shapes import ShapeError


class RefineResultShape(RewritePattern):
    """Replaces a `?` in a result type by the size the operands imply."""

    refined: ClassVar[Statistic] = Statistic("num-refined", "Number of result types refined")

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, ShapedResult):
            return
        result = op.results[0]
        if not isinstance(result.type, TensorType):
            return
        try:
            inferred = op.result_shape()
        except ShapeError:
            return  # the verifier reports it
        current = shape_of(result.type)
        if len(inferred) != len(current):
            return
        merged = tuple(c if c is not None else (i if isinstance(i, int) else None)
                       for c, i in zip(current, inferred))
        if merged == current:
            return
        rewriter.replace_value_with_new_type(result, tensor_type(result.type.element_type, merged))
        self.refined.add()


def update_signature(f: func.FuncOp) -> None:
    """Makes a function's result types those of the values it returns."""
    ret = f.body.block.last_op
    if not isinstance(ret, func.ReturnOp):
        return
    outputs = [v.type for v in ret.arguments]
    if list(f.function_type.outputs.data) != outputs:
        f.function_type = FunctionType.from_lists(list(f.function_type.inputs.data), outputs)


@dataclass(frozen=True)
class InferShapes(ModulePass):
    """Refines `?` sizes in model-level result types from the shapes of the operands."""

    name = "infer-shapes"

    num_refined: ClassVar[Statistic] = RefineResultShape.refined

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        """Walks every op once, in order, so refinements flow forward."""
        PatternRewriteWalker(RefineResultShape(), apply_recursively=True).rewrite_module(op)
        for f in op.walk():
            if isinstance(f, func.FuncOp):
                update_signature(f)
