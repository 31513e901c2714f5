"""The torch backend's function printer: the `def` of one `func.func`, its live ops one
statement each, and a `del` after each value's last use.

    def forward(params, x, training=False):
        \"\"\"@forward: (tensor<?x4xf32>) -> tensor<?x8xf32>\"\"\"
        w = params["fc1.weight"]
        v0 = torch.nn.functional.linear(x, w)
        del x, w
        return v0

`params` maps parameter names (`"fc1.weight"`) to tensors for `model.get_param`, and
`training` switches `tensorops.dropout` on (calls pass it on). Choosing which calls to
make is `select-torch-calls`' work, done before; each op is printed by `TorchEmitter`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from xdsl.dialects import arith, func
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Operation, SSAValue

from mlang.backends.common.errors import CodegenError
from mlang.backends.torch.context import FunctionContext
from mlang.backends.torch.emitter import TorchEmitter, param
from mlang.dialects.model.structure import GetParamOp
from mlang.dialects.tensorops import EFFECT_OPS, ConstantOp, RandomOp

EFFECTS = (func.ReturnOp, func.CallOp, *EFFECT_OPS)
"""Ops printed even when nothing reads their results: random ones draw numbers, and
leaving one out would change the draws after it."""


def live_ops(ops: Sequence[Operation]) -> list[Operation]:
    """The ops that compute a function body, in order: an op whose values nothing reads
    (and that has no effect) is left out."""
    needed: set[SSAValue] = set()
    live: list[Operation] = []
    for op in reversed(ops):
        if isinstance(op, EFFECTS) or any(r in needed for r in op.results):
            needed.update(op.operands)
            live.append(op)
    return live[::-1]


def dead_after(ops: Sequence[Operation]) -> list[list[SSAValue]]:
    """For each op, the values that no later op reads: those it reads for the last time,
    and those it defines that nothing reads. The printer deletes them, so that each
    intermediate tensor is freed when it dies, as in PyTorch eager, rather than when the
    function returns (on the 12-layer BERT encoder of `bench/encoder.py`, keeping them
    makes a forward pass ~1.4x slower, through fresh pages)."""
    last = {v: i for i, op in enumerate(ops) for v in op.operands}
    return [
        [*dict.fromkeys(v for v in op.operands if last[v] == i),
         *(r for r in op.results if r not in last)]
        for i, op in enumerate(ops)
    ]


def _device(f: func.FuncOp, ops: Sequence[Operation], ctx: FunctionContext) -> str | None:
    """Where a function's constants and samples get their device: its first tensor
    argument, else its first parameter; None when it prints neither."""
    if not any(isinstance(op, (ConstantOp, arith.ConstantOp, RandomOp)) for op in ops):
        return None
    for arg in f.body.block.args:
        if isinstance(arg.type, TensorType):
            return f"{ctx.use(arg)}.device"
    params = [op for op in f.body.block.ops if isinstance(op, GetParamOp)]
    return f"{param(params[0])}.device" if params else "None"


def print_function(f: func.FuncOp, functions: Mapping[str, str],
                   emitter: TorchEmitter) -> list[str]:
    """The lines of `def name(params, *args, training=False):` for one `func.func`."""
    if f.is_declaration:
        raise CodegenError(f"function @{f.sym_name.data} has no body")
    ctx = FunctionContext(functions)
    args = ", ".join(["params", *(ctx.bind(arg) for arg in f.body.block.args)])
    lines = [
        f"def {functions[f.sym_name.data]}({args}, training=False):",
        f'    """@{f.sym_name.data}: {f.function_type}"""',
    ]
    ops = live_ops(list(f.body.block.ops))
    if (device := _device(f, ops, ctx)) is not None:
        ctx.lines.append(f"device = {device}")
    for op, dead in zip(ops, dead_after(ops)):
        emitter.emit(op, ctx)
        if dead and not isinstance(op, func.ReturnOp):
            ctx.lines.append(f"del {', '.join(ctx.use(v) for v in dead)}")
    return lines + [f"    {line}" for line in ctx.lines]
