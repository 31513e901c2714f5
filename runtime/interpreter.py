"""Runs the host program: the ops of `func.func @main`, in order.

Host values are plain Python objects (ints, floats, bools, strings, lists, tuples, torch
tensors, `Dataset`s, `ModelInstance`s). Tensor ops in `@main` are evaluated by the
reference evaluator's table; model methods run on the chosen backend. Any error is
re-raised as a `CompileError` at the location of the op being executed.
"""

from __future__ import annotations

import dataclasses
import os
import random
import sys
from collections.abc import Callable, Iterable
from typing import IO, Any, TypeVar

import numpy as np
import torch
from xdsl.dialects import func
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr, TensorType
from xdsl.ir import Block, Operation, SSAValue

from mlang.backends import Backend, CompiledModel
from mlang.dialects.model.structure import symbol_name
from mlang.backends.reference.evaluator import IMPLS, EvalContext
from mlang.dialects.model import host
from mlang.dialects.model.generation import GENERATE_OPTIONS, GenerateOp
from mlang.dialects.model.structure import CallOp, DefOp, InstantiateOp
from mlang.dialects.model.types import dtype_name
from mlang.runtime import datasets, distributed, model_io, plotting, training
from mlang.runtime.datasets import Dataset
from mlang.runtime.generation import GenerateOptions, generate, generate_text
from mlang.runtime.loading import load_dataset
from mlang.runtime.model import ModelInstance, m_dtype, sizes_fit
from mlang.runtime.precision import run_in_dtype, stored_parameters
from mlang.runtime.pretrained import checkpoint_parameters, load_pretrained
from mlang.runtime.notes import notes_to
from mlang.runtime.printing import format_value
from mlang.runtime.quantize import quantize_model
from mlang.runtime.summary import summary_table
from mlang.runtime.tensor_files import write_tensors
from mlang.support.diagnostics import CompileError, InternalError, UserError
from mlang.support.ir_verification import op_loc
from mlang.support.language_options import calibrate_unread

Args = list[Any]
"""An op's operand values. Host values are dynamically typed; the frontend's type check
and each op's verifier fix which types an op's operands have, so its handler reads them
as those types."""

Handler = Callable[["Interpreter", Operation, Args], object]
HANDLERS: dict[type[Operation], Handler] = {}

OpT = TypeVar("OpT", bound=Operation)
OpHandler = Callable[["Interpreter", OpT, Args], object]


def handles(*ops: type[OpT]) -> Callable[[OpHandler[OpT]], OpHandler[OpT]]:
    """Registers the handler of one or more host op classes."""

    def register(f: OpHandler[OpT]) -> OpHandler[OpT]:
        def typed(it: Interpreter, op: Operation, args: Args) -> object:
            assert isinstance(op, ops)  # the table is keyed by the op's class
            return f(it, op, args)

        for op in ops:
            HANDLERS[op] = typed
        return f

    return register


class LoopJump(Exception):
    """Raised by `model.break` (`leave`) and `model.continue`, caught by its `model.for`."""

    def __init__(self, leave: bool):
        super().__init__()
        self.leave = leave


class Interpreter:
    """Executes a module's host program."""

    def __init__(self, module: ModuleOp, backend: Backend, device: str = "cpu",
                 out: IO[str] | None = None):
        self.module = module
        self.backend = backend
        self.device = device
        self.out = out or sys.stdout
        self.definitions = {op.sym_name.data: op for op in module.ops if isinstance(op, DefOp)}
        self.compiled: dict[str, CompiledModel] = {}
        self.variables: dict[str, object] = {}
        self.tensor_ctx = EvalContext({})

    def run(self) -> None:
        """Runs `@main`."""
        main = next(op for op in self.module.ops
                    if isinstance(op, func.FuncOp) and op.sym_name.data == "main")
        self.block(main.body.block, {})

    def block(self, block: Block, env: dict[SSAValue, object]) -> None:
        """Executes the ops of a block."""
        for op in block.ops:
            if isinstance(op, (func.ReturnOp, host.YieldOp)):
                return
            if isinstance(op, host.LoopJumpOp):
                raise LoopJump(isinstance(op, host.BreakOp))
            self.execute(op, env)

    def execute(self, op: Operation, env: dict[SSAValue, object]) -> None:
        """Executes one op, converting any failure into an error at its location, and
        any note that library code makes into a note there."""
        try:
            with notes_to(lambda message: self.note(op, message)):
                value = self.dispatch(op, env)
        except (CompileError, LoopJump):
            raise
        except UserError as err:
            raise CompileError(op_loc(op), str(err)) from None
        except (RuntimeError, ValueError, IndexError, TypeError, ZeroDivisionError,
                OverflowError) as err:
            # What torch and Python raise on bad data (shapes only a call reveals, ...).
            raise CompileError(op_loc(op), runtime_message(err)) from None
        except (KeyboardInterrupt, BrokenPipeError):
            raise  # mrun exits 130, or quietly when its output pipe closed
        except MemoryError:
            raise CompileError(op_loc(op), OUT_OF_MEMORY) from None
        except Exception as err:  # noqa: BLE001 - anything else is a bug of ours
            raise InternalError(
                op_loc(op), f"{op.name} failed: {type(err).__name__}: {runtime_message(err)}"
            ) from None
        if len(op.results) == 1:
            env[op.results[0]] = value
        elif op.results:
            # A multi-result op (a method returning a tuple) yields one value per result.
            assert isinstance(value, tuple)
            for result, item in zip(op.results, value, strict=True):
                env[result] = item

    def note(self, op: Operation, message: str) -> None:
        """Writes a one-line note located at `op` to standard error."""
        self.out.flush()  # what the program printed before comes first
        loc = op_loc(op)
        sys.stderr.write(f"{loc}: note: {message}\n" if loc else f"note: {message}\n")

    def dispatch(self, op: Operation, env: dict[SSAValue, object]) -> object:
        """Finds what an op means and does it."""
        if isinstance(op, host.ForOp):
            self.for_(op, env)
            return None
        if isinstance(op, host.IfOp):
            self.if_(op, env)
            return None
        args = [env[v] for v in op.operands]
        handler = HANDLERS.get(type(op))
        if handler is not None:
            return handler(self, op, args)
        impl = IMPLS.get(type(op))
        if impl is None:
            raise UserError(f"the host program cannot execute {op.name}")
        return impl(op, args, self.tensor_ctx)

    def for_(self, op: host.ForOp, env: dict[SSAValue, object]) -> None:
        """Runs the loop body once per element."""
        items = env[op.iterable]
        assert isinstance(items, Iterable)  # a list value: a list or a range
        for item in items:
            env[op.body.block.args[0]] = item
            try:
                self.block(op.body.block, env)
            except LoopJump as jump:
                if jump.leave:
                    return

    def if_(self, op: host.IfOp, env: dict[SSAValue, object]) -> None:
        """Runs one branch."""
        region = op.then_region if env[op.cond] else op.else_region
        self.block(region.block, env)

    def model_definition(self, symbol: str) -> tuple[DefOp, CompiledModel]:
        """A model definition and its compiled form (compiled once)."""
        definition = self.definitions[symbol]
        if symbol not in self.compiled:
            self.compiled[symbol] = self.backend.compile(definition)
        return definition, self.compiled[symbol]


OUT_OF_MEMORY = "out of memory running this statement (its data or model is too large)"

TORCH_MESSAGES = {
    "index out of range in self": "an id is out of range for the table it looks up "
                                  "(an Embedding's rows)",
}
"""Plainer words for what torch says in its own terms."""


def runtime_message(err: Exception) -> str:
    """A one-line message for an error raised by torch or Python during execution."""
    text = str(err).strip().splitlines()
    first = text[0] if text else type(err).__name__
    return TORCH_MESSAGES.get(first, first)


def option(args: Args, op: Operation, name: str, default: object) -> Any:
    """The value of an optional keyword operand, or its default (a host value, as `Args`)."""
    operand = getattr(op, name)
    if operand is None:
        return default
    return args[list(op.operands).index(operand)]


def trainable(data: Dataset, what: str) -> None:
    """Refuses what training cannot use: rows with no labels."""
    if not data.labelled:
        raise UserError(f"{what} needs labels; this data set was loaded with target=none")


def model_value(v: object) -> ModelInstance:
    """Checks that a value is a model."""
    if not isinstance(v, ModelInstance):
        raise UserError("expected a model")
    return v


# -------------------------------------------------------------------- host values


@handles(host.StrOp)
def _str(it: Interpreter, op: host.StrOp, args: Args) -> object:
    return op.value.data


@handles(host.ListOp)
def _list(it: Interpreter, op: Operation, args: Args) -> object:
    return list(args)


@handles(host.TupleOp)
def _tuple(it: Interpreter, op: Operation, args: Args) -> object:
    return tuple(args)


@handles(host.UnpackOp)
def _unpack(it: Interpreter, op: host.UnpackOp, args: Args) -> object:
    value, n = args[0], len(op.elements)
    if not isinstance(value, tuple):
        raise UserError(f"cannot unpack one tensor into {n} names")
    if len(value) != n:
        raise UserError(f"cannot unpack {len(value)} values into {n} names")
    return value


@handles(host.ExpectShapesOp)
def _expect_shapes(it: Interpreter, op: host.ExpectShapesOp, args: Args) -> object:
    sizes: dict[str, int] = {}
    for value, dims, label, checked in zip(args, op.dims, op.labels, op.checked):
        assert isinstance(checked.type, TensorType)
        dtype = dtype_name(checked.type.element_type)
        names = [d.data if isinstance(d, StringAttr) else None for d in dims]
        wanted = [d.value.data if isinstance(d, IntegerAttr) else sizes.get(d.data) for d in dims]
        written = ", ".join(str(d.value.data) if isinstance(d, IntegerAttr) else d.data or "?"
                            for d in dims)
        if not isinstance(value, torch.Tensor):
            raise UserError(f"{label.data} must be {dtype}[{written}], got a tuple")
        got = f"{m_dtype(value.dtype)}{list(value.shape)}"
        if not sizes_fit(value, wanted) or m_dtype(value.dtype) != dtype:
            bound = {n: sizes[n] for n in names if n and n in sizes}
            where = "".join(f", {n} = {v}" for n, v in bound.items())
            raise UserError(f"{label.data} must be {dtype}[{written}]{where}, got {got}")
        sizes.update({n: size for n, size in zip(names, value.shape) if n})
    return args[0] if len(args) == 1 else tuple(args)


@handles(host.IndexOp)
def _index(it: Interpreter, op: Operation, args: Args) -> object:
    value, index = args
    n = len(value)
    if not isinstance(index, torch.Tensor):
        return _index_one(value, index, n)
    # A list's element for each index; the IR's result type says whether a list is wanted
    # (a 1-d index, or one of unknown rank) or one element (0-d).
    rank = 1 if op.results[0].type == op.operands[0].type else 0
    if index.ndim != rank:
        raise UserError(f"a list is indexed by a tensor of rank {rank}, not "
                        f"{m_dtype(index.dtype)}{list(index.shape)}")
    if rank == 0:
        return _index_one(value, int(index.item()), n)
    return [_index_one(value, i, n) for i in index.tolist()]


def _index_one(value: Any, i: int, n: int) -> object:
    """`value[i]`, located when out of range."""
    if not -n <= i < n:
        raise UserError(f"index {i} is out of range for length {n}")
    return value[i]


@handles(host.SliceRowsOp)
def _slice_rows(it: Interpreter, op: host.SliceRowsOp, args: Args) -> object:
    value = args[0]
    lo, hi = option(args, op, "lo", None), option(args, op, "hi", None)
    if isinstance(value, Dataset):
        return value.slice(lo, hi)
    return value[lo:hi]


@handles(host.RangeOp)
def _range(it: Interpreter, op: Operation, args: Args) -> object:
    return range(args[0], args[1])  # lazy: `for i in 0..1000000000` holds no list


@handles(host.SetVarOp)
def _set_var(it: Interpreter, op: host.SetVarOp, args: Args) -> object:
    it.variables[op.var.data] = args[0]
    return None


@handles(host.GetVarOp)
def _get_var(it: Interpreter, op: host.GetVarOp, args: Args) -> object:
    return it.variables[op.var.data]


@handles(host.HostFloatOp)
def _to_float(it: Interpreter, op: Operation, args: Args) -> object:
    return float(args[0])


@handles(host.PrintOp)
def _print(it: Interpreter, op: host.PrintOp, args: Args) -> object:
    full = op.full is not None
    print(" ".join(format_value(v, full) for v in args), file=it.out, flush=True)
    return None


@handles(host.ToStrOp)
def _to_str(it: Interpreter, op: Operation, args: Args) -> object:
    return format_value(args[0])


@handles(host.StrConcatOp)
def _str_concat(it: Interpreter, op: Operation, args: Args) -> object:
    return args[0] + args[1]


@handles(host.WriteOp)
def _write(it: Interpreter, op: host.WriteOp, args: Args) -> object:
    tensors = {name.data: t for name, t in zip(op.names, args[1:], strict=True)}
    distributed.once(lambda: write_tensors(args[0], tensors))
    return None


# ---------------------------------------------------------------------- data sets


@handles(host.SeedOp)
def _seed(it: Interpreter, op: Operation, args: Args) -> object:
    seed_everything(args[0])
    return None


def seed_everything(n: int) -> None:
    """Seeds every random source, as `seed(n)` and `mrun --seed N` promise."""
    torch.manual_seed(n)
    random.seed(n)
    np.random.seed(n % 2**32)


@handles(host.DatasetOp)
def _dataset(it: Interpreter, op: Operation, args: Args) -> object:
    return datasets.builtin_dataset(args[0])


@handles(host.LoadOp)
def _load(it: Interpreter, op: host.LoadOp, args: Args) -> object:
    return load_dataset(args[0], option(args, op, "target", None), op.no_target is None,
                        option(args, op, "one_hot_columns", False), option(args, op, "size", None))


@handles(host.SplitOp)
def _split(it: Interpreter, op: host.SplitOp, args: Args) -> object:
    return datasets.split(args[0], args[1], option(args, op, "seed", 0))


@handles(host.DataXOp)
def _data_x(it: Interpreter, op: Operation, args: Args) -> object:
    return args[0].inputs


@handles(host.DataYOp)
def _data_y(it: Interpreter, op: Operation, args: Args) -> object:
    return args[0].y


@handles(host.LenOp)
def _len(it: Interpreter, op: Operation, args: Args) -> object:
    return len(args[0])


@handles(host.StrEqOp)
def _str_eq(it: Interpreter, op: Operation, args: Args) -> object:
    return args[0] == args[1]


# ------------------------------------------------------------------------- models


@handles(InstantiateOp)
def _instantiate(it: Interpreter, op: InstantiateOp, args: Args) -> object:
    definition, compiled = it.model_definition(symbol_name(op.definition))
    instance = ModelInstance.create(definition, compiled, it.device,
                                    checkpoint_parameters(op, definition))
    instance.params = stored_parameters(compiled, instance.params)
    return instance


@handles(CallOp)
def _call(it: Interpreter, op: CallOp, args: Args) -> object:
    model = model_value(args[0])
    with torch.no_grad():
        results = model.call(symbol_name(op.method), args[1:])
    return results[0] if len(results) == 1 else tuple(results)


@handles(host.FitOp)
def _fit(it: Interpreter, op: host.FitOp, args: Args) -> object:
    model = model_value(args[0])
    if model.quantization is not None:
        raise UserError("a quantized model cannot be trained")
    options = {name: value for name in _FIT_OPTIONS
               if (value := option(args, op, name, None)) is not None}
    trainable(args[1], "fit")
    return training.fit(model, args[1], **options)


_FIT_OPTIONS = tuple(f.name for f in dataclasses.fields(training.FitOptions))
"""The keyword operands of `model.fit`, named as `training.FitOptions` names them."""


@handles(host.PlotOp)
def _plot(it: Interpreter, op: Operation, args: Args) -> object:
    distributed.once(lambda: plotting.plot_log(args[0], args[1]))
    return None


@handles(host.EvaluateOp)
def _evaluate(it: Interpreter, op: host.EvaluateOp, args: Args) -> object:
    trainable(args[1], "evaluate")
    return training.evaluate(model_value(args[0]), args[1], option(args, op, "metric", "accuracy"))


@handles(host.PredictOp)
def _predict(it: Interpreter, op: Operation, args: Args) -> object:
    return training.predict(model_value(args[0]), args[1])


@handles(host.QuantizeOp)
def _quantize(it: Interpreter, op: host.QuantizeOp, args: Args) -> object:
    mode = option(args, op, "mode", "weight")
    calibrate = option(args, op, "calibrate", None)
    if calibrate is not None and (unread := calibrate_unread(mode)):  # a mode known only now
        raise UserError(unread)
    return quantize_model(model_value(args[0]), args[1], mode, calibrate, it.backend)


@handles(host.SaveOp)
def _save(it: Interpreter, op: Operation, args: Args) -> object:
    tokenizer, classes = option(args, op, "tokenizer", None), option(args, op, "classes", None)
    distributed.once(lambda: model_io.save_model(model_value(args[0]), args[1], tokenizer,
                                                 classes))
    return None


@handles(host.LoadModelOp)
def _load_model(it: Interpreter, op: Operation, args: Args) -> object:
    return model_io.load_model(args[0], it.backend, it.device)


@handles(host.LoadWeightsOp)
def _load_weights(it: Interpreter, op: host.LoadWeightsOp, args: Args) -> object:
    model_io.load_weights(model_value(args[0]), args[1], model_io.weight_names(op),
                          op.field.data if op.field else "", op.lenient is None)
    return None


@handles(host.LoadPretrainedOp)
def _load_pretrained(it: Interpreter, op: host.LoadPretrainedOp, args: Args) -> object:
    fresh = [f.data for f in op.fresh.data] if op.fresh else []
    model = model_value(args[0])
    if op.dtype is not None:
        run_in_dtype(model, it.backend, op.dtype.data)
    load_pretrained(model, args[1], op.base.data if op.base else "", fresh,
                    op.other_head is not None)
    return None


@handles(GenerateOp)
def _generate(it: Interpreter, op: GenerateOp, args: Args) -> object:
    options = GenerateOptions(**{name: value for name in GENERATE_OPTIONS
                                 if (value := option(args, op, name, None)) is not None})
    model = model_value(args[0])
    if op.text is not None:
        return generate_text(model, args[1], option(args, op, "text", ""), options)
    return generate(model, args[1], options)


@handles(host.FileSizeOp)
def _file_size(it: Interpreter, op: Operation, args: Args) -> object:
    try:
        return os.path.getsize(args[0])
    except OSError:
        raise UserError(f"cannot read the size of '{args[0]}': no such file") from None


@handles(host.ParamsOp)
def _params(it: Interpreter, op: Operation, args: Args) -> object:
    return model_value(args[0]).parameter_count()


@handles(host.ParameterOp)
def _parameter(it: Interpreter, op: Operation, args: Args) -> object:
    # A copy, in the declared float32 when the model runs in half precision: what the host
    # computes with it never changes the model.
    assert isinstance(op, host.ParameterOp)
    tensor = model_value(args[0]).params[op.path.data].detach()
    return tensor.to(torch.float32 if tensor.is_floating_point() else tensor.dtype, copy=True)


@handles(host.SummaryOp)
def _summary(it: Interpreter, op: Operation, args: Args) -> object:
    print(summary_table(model_value(args[0])), file=it.out, flush=True)
    return None


@handles(host.ExportOp)
def _export(it: Interpreter, op: Operation, args: Args) -> object:
    from mlang.runtime.export import export_model  # the exporters load only when used

    export_model(model_value(args[0]), args[1])
    return None


# The handlers of the text and table ops register themselves when imported.
import mlang.runtime.data_handlers  # noqa: E402,F401
