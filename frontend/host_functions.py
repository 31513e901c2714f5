"""IR generation for the built-in host functions (spec section 8).

Arguments are checked against each function's signature and types here; string options
known at compile time (`loss="mse"`) are validated here too, so that a typo is reported
before anything runs. What only the data can tell is checked by the runtime.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from xdsl.dialects.builtin import ArrayAttr, DenseArrayBase, StringAttr, UnitAttr, i32
from xdsl.ir import Attribute, Operation, SSAValue

from mlang.dialects.model import host
from mlang.frontend import ast
from mlang.frontend.builtin_args import Args, Locs, required
from mlang.frontend.emitter import Emitter
from mlang.frontend.signatures import Signature, bind
from mlang.frontend.types import (
    BOOL, FLOAT, FLOAT_DTYPES, INT, INT_DTYPES, STR, DatasetT, ListT, ModelT, MType, RecordT,
    ScalarT, TensorT, TokenizerT, TupleT, ir_type,
)
from mlang.frontend.values import Dyn, FieldPath, Seq, Static, StaticValue, Value, describe
from mlang.frontend.weight_options import WEIGHT_OPTIONS, weight_options
from mlang.support.diagnostics import CompileError, Loc
from mlang.support.language_options import (
    BUILTIN_DATASETS, BUILTIN_FEATURES, EXPORT_FORMATS, LOSSES, METRICS, OPTIMIZERS, PRECISIONS,
    QUANT_MODES, SCHEDULES, calibrate_unread,
)
from mlang.support.records import field_mismatch


class HostContext(Protocol):
    """What host emitters need from the IR generator."""

    def method_result(self, model: ModelT, method: str, args: list[MType], loc: Loc,
                      labels: Sequence[str] = ()) -> MType:
        """The result type of calling `method` of `model` with arguments of these types
        (`labels` name them in messages)."""
        ...

    def param_names(self, model: ModelT, method: str, loc: Loc) -> tuple[str, ...] | None:
        """The names of a method's parameters, or None where they are unknown."""
        ...

    def input_dtype(self, model: ModelT, loc: Loc) -> str | None:
        """The dtype of the tensor that forward takes first, or None where it is unknown."""
        ...


HostEmit = Callable[[HostContext, Emitter, Args, Locs, Loc], Value]
HOST_FUNCTIONS: dict[str, tuple[Signature[StaticValue], HostEmit]] = {}


def host_function(sig: Signature[StaticValue]) -> Callable[[HostEmit], HostEmit]:
    """Registers an emitter for the host function of signature `sig`."""

    def register(emit: HostEmit) -> HostEmit:
        HOST_FUNCTIONS[sig.name] = (sig, emit)
        return emit

    return register


def emit_host_function(ctx: HostContext, em: Emitter, call: ast.Call, name: str,
                       args: list[Value], kwargs: dict[str, Value]) -> Value:
    """Emits a call of host function `name`."""
    if name == "print":
        return emit_print(em, call, args, kwargs)
    if name == "write":
        return emit_write(em, call, args, kwargs)
    if name == "standardize":
        return emit_standardize(em, call, args, kwargs)
    sig, emit = HOST_FUNCTIONS[name]
    bound = bind(sig, call, args, kwargs)
    locs = {k: bound.locs.get(k, call.loc) for k in sig.names}
    return emit(ctx, em, bound.args, locs, call.loc)


# ------------------------------------------------------------------- argument checks


def arg(em: Emitter, v: Value | None, t: MType, loc: Loc, what: str) -> Dyn[MType]:
    """An argument as an SSA value of M type `t` (ints are accepted where floats are)."""
    if v is None:
        raise CompileError(loc, f"{what} is missing")
    d = em.value(v, loc)
    if d.type == t:
        return d
    if t == FLOAT and d.type in (INT, BOOL):
        return em.result(host.HostFloatOp.create(operands=[d.ssa], result_types=[ir_type(FLOAT)]),
                         FLOAT, loc)
    if isinstance(t, ModelT) and isinstance(d.type, ModelT):
        return d
    if isinstance(t, ListT) and isinstance(d.type, ListT) and d.type.element in (None, t.element):
        return d
    raise CompileError(loc, f"{what} must be {kind_name(t)}, got {describe(v)}")


def kind_name(t: MType) -> str:
    """How an expected type is named in messages."""
    if isinstance(t, ModelT):
        return "a model"
    if isinstance(t, DatasetT):
        return "a data set"
    if isinstance(t, ScalarT):
        return {"int": "an int", "float": "a number", "bool": "a boolean", "str": "a string"}[
            t.kind]
    return str(t)


def choice(v: Value | None, allowed: tuple[str, ...], loc: Loc, what: str) -> None:
    """Checks a string option that is known at compile time."""
    if isinstance(v, Static) and isinstance(v.value, str) and v.value not in allowed:
        raise CompileError(
            loc, f"unknown {what} '{v.value}'; expected one of " + ", ".join(allowed))


def positive(v: Value | None, loc: Loc, what: str, strict: bool = True) -> None:
    """Checks a number option that is known at compile time."""
    if isinstance(v, Static) and isinstance(v.value, (int, float)):
        if v.value < 0 or (strict and v.value == 0):
            raise CompileError(loc, f"{what} must be {'positive' if strict else '>= 0'}, "
                                    f"got {v.value}")


def optional(em: Emitter, v: Value | None, t: MType, loc: Loc, what: str) -> SSAValue | None:
    """An optional keyword operand: None when the default applies."""
    if v is None or (isinstance(v, Static) and v.value is None):
        return None
    if isinstance(t, ListT) and isinstance(v, Static) and v.value == []:
        return em.result(host.ListOp.create(operands=[], result_types=[ir_type(t)]), t, loc).ssa
    return arg(em, v, t, loc, what).ssa


def model_arg(em: Emitter, v: Value | None, loc: Loc) -> Dyn[ModelT]:
    """A model argument."""
    d = arg(em, v, ModelT(None), loc, "the first argument")
    assert isinstance(d.type, ModelT)  # what `arg` accepts for a model
    return Dyn(d.ssa, d.type)


Operands = Mapping[str, SSAValue | None]
"""A host op's operands by name, None for an optional one left out."""


def _call(em: Emitter, op: type[Operation], operands: Operands, result: MType | None,
          loc: Loc) -> Value:
    """Inserts a host call op with named (possibly absent) operands."""
    created = op.create(
        operands=[v for v in operands.values() if v is not None],
        result_types=[ir_type(result)] if result is not None else [],
        properties=_segments(op, operands),
    )
    em.insert(created, loc)
    return Dyn(created.results[0], result) if result is not None else Static(None)


def _has_optional(op: type[Operation]) -> bool:
    """True for ops with optional (keyword) operands."""
    return bool(getattr(op, "irdl_options", ()))


def _segments(op: type[Operation], operands: Operands) -> dict[str, Attribute]:
    """The operandSegmentSizes property of an op with optional operands."""
    if not _has_optional(op):
        return {}
    sizes = [0 if v is None else 1 for v in operands.values()]
    return {"operandSegmentSizes": DenseArrayBase.from_list(i32, sizes)}


# ------------------------------------------------------------------------ functions


@host_function(Signature.of("seed", "n"))
def emit_seed(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Fixes every random source."""
    return _call(em, host.SeedOp, {"value": arg(em, a["n"], INT, locs["n"], "seed").ssa}, None,
                 loc)


@host_function(Signature.of("dataset", "name"))
def emit_dataset(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """A bundled data set."""
    choice(a["name"], BUILTIN_DATASETS, locs["name"], "data set")
    name = arg(em, a["name"], STR, locs["name"], "the data set name")
    name_arg = a["name"]
    known = name_arg.value if isinstance(name_arg, Static) else None
    t = DatasetT(BUILTIN_FEATURES[known], "i64") if known in BUILTIN_FEATURES else DatasetT()
    return _call(em, host.DatasetOp, {"dataset_name": name.ssa}, t, loc)


@host_function(Signature.of("load", "path", ("target", None), ("one_hot_columns", False),
                            ("size", None)))
def emit_load(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """A data set from a file or a folder of images; `target=none` loads features only."""
    path = arg(em, a["path"], STR, locs["path"], "the path")
    operands = {
        "path": path.ssa,
        "target": optional(em, a["target"], STR, locs["target"], "target"),
        "one_hot_columns": optional(em, a["one_hot_columns"], BOOL, locs["one_hot_columns"],
                                    "one_hot_columns"),
        "size": optional(em, a["size"], ListT(INT), locs["size"], "size"),
    }
    properties = _segments(host.LoadOp, operands)
    written = a["target"]
    if isinstance(written, Static) and written.value is None:  # `target=none`, not left out
        properties["no_target"] = UnitAttr()
    op = host.LoadOp.create(operands=[v for v in operands.values() if v is not None],
                            result_types=[ir_type(DatasetT())], properties=properties)
    return em.result(op, DatasetT(), loc)


@host_function(Signature.of("split", "data", "fraction", ("seed", 0)))
def emit_split(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """A shuffled split of a data set."""
    f = a["fraction"]
    if isinstance(f, Static) and isinstance(f.value, (int, float)) and not 0 < f.value < 1:
        raise CompileError(locs["fraction"], f"split fraction must be in (0, 1), got {f.value}")
    data = arg(em, a["data"], DatasetT(), locs["data"], "data")
    operands = {
        "data": data.ssa,
        "fraction": arg(em, f, FLOAT, locs["fraction"], "the fraction").ssa,
        "seed": optional(em, a["seed"], INT, locs["seed"], "seed"),
    }
    return _call(em, host.SplitOp, operands, TupleT((data.type, data.type)), loc)


@host_function(Signature.of("len", "x"))
def emit_len(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """The length of a data set, list, tuple or tensor."""
    v = a["x"]
    if isinstance(v, Static) and isinstance(v.value, (list, tuple, str)):
        return Static(len(v.value))
    if isinstance(v, Seq):
        return Static(len(v.items))
    d = em.value(required(a, "x"), locs["x"])
    if not isinstance(d.type, (DatasetT, ListT, TupleT, TensorT)) and d.type != STR:
        raise CompileError(locs["x"], f"len needs a data set, list, tuple or tensor, got {d.type}")
    if isinstance(d.type, TensorT) and d.type.shape == ():
        raise CompileError(locs["x"], "len of a 0-d tensor")
    return _call(em, host.LenOp, {"value": d.ssa}, INT, loc)


_FIT_OPTIONS: dict[str, MType] = {
    "loss": STR, "optimizer": STR, "lr": FLOAT, "epochs": INT, "batch": INT, "freeze": ListT(STR),
    "weight_decay": FLOAT, "val": DatasetT(), "metric": STR, "patience": INT, "schedule": STR,
    "warmup": INT, "clip": FLOAT, "accumulate": INT, "log": STR, "precision": STR,
    "checkpoint": STR, "checkpoint_every": INT, "resume": BOOL,
}
"""The keyword options of `fit` and their types; absent ones take the runtime's defaults."""


@host_function(Signature.of(
    "fit", "model", "data", ("loss", "cross_entropy"), ("optimizer", "adam"), ("lr", 0.001),
    ("epochs", 10), ("batch", 32), ("freeze", []), ("weight_decay", 0.0), ("val", None),
    ("metric", None), ("patience", None), ("schedule", "constant"), ("warmup", 0),
    ("clip", None), ("accumulate", 1), ("log", None), ("precision", "fp32"),
    ("checkpoint", None), ("checkpoint_every", None), ("resume", False)))
def emit_fit(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Trains a model in place."""
    _check_fit_options(a, locs)
    m = model_arg(em, a["model"], locs["model"])
    if m.type.quantized:
        raise CompileError(locs["model"], "a quantized model cannot be trained")
    operands = {
        "model": m.ssa,
        "data": data_arg(ctx, em, m, a["data"], locs["data"], "data").ssa,
        **{name: optional(em, a[name], t, locs[name], name) for name, t in _FIT_OPTIONS.items()},
    }
    if _given(a["val"]):
        data_arg(ctx, em, m, a["val"], locs["val"], "val")
    return _call(em, host.FitOp, operands, FLOAT, loc)


def data_arg(ctx: HostContext, em: Emitter, m: Dyn[ModelT], v: Value | None, loc: Loc,
             what: str) -> Dyn[MType]:
    """A data set that `m`'s forward runs on; when its features are a record, each field
    checked against the forward parameter of its name."""
    d = arg(em, v, DatasetT(), loc, what)
    assert isinstance(d.type, DatasetT)  # what `arg` accepts for a data set
    if d.type.record is not None:
        record_result(ctx, m, d.type.record, loc)
    return d


def record_result(ctx: HostContext, m: Dyn[ModelT], record: RecordT, loc: Loc) -> MType:
    """The type of `m`'s forward on a record's fields, each passed to the parameter of
    its name (checked here where the model's parameters and the record's fields are
    known at compile time, else when the program runs)."""
    params = ctx.param_names(m.type, "forward", loc)
    if params is None or record.fields is None:
        return TensorT("f32", None)
    fields = dict(record.fields)
    why = field_mismatch(list(fields), params, "forward")
    if why is not None:
        raise CompileError(loc, why)
    labels = [f"the record's field '{p}' (forward's parameter '{p}')" for p in params]
    return ctx.method_result(m.type, "forward", [fields[p] for p in params], loc, labels)


def _check_fit_options(a: Args, locs: Locs) -> None:
    """The checks of `fit`'s options that compile-time values allow."""
    for name, allowed in (("loss", LOSSES), ("optimizer", OPTIMIZERS), ("metric", METRICS),
                          ("schedule", SCHEDULES), ("precision", PRECISIONS)):
        choice(a[name], allowed, locs[name], name)
    for name in ("lr", "epochs", "batch", "patience", "clip", "accumulate", "checkpoint_every"):
        positive(a[name], locs[name], name)
    for name in ("weight_decay", "warmup"):
        positive(a[name], locs[name], name, strict=False)
    for name, needs in (("patience", "val"), ("metric", "val"), ("resume", "checkpoint"),
                        ("checkpoint_every", "checkpoint")):
        if _given(a[name]) and not _given(a[needs]):
            raise CompileError(locs[name], f"{name} needs {needs}=")


def _given(v: Value | None) -> bool:
    """Whether an optional keyword was written with a value other than none or false."""
    return v is not None and not (isinstance(v, Static) and v.value in (None, False))


@host_function(Signature.of("evaluate", "model", "data", ("metric", "accuracy")))
def emit_evaluate(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Scores a model."""
    choice(a["metric"], METRICS, locs["metric"], "metric")
    m = model_arg(em, a["model"], locs["model"])
    operands = {
        "model": m.ssa,
        "data": data_arg(ctx, em, m, a["data"], locs["data"], "data").ssa,
        "metric": optional(em, a["metric"], STR, locs["metric"], "metric"),
    }
    return _call(em, host.EvaluateOp, operands, FLOAT, loc)


@host_function(Signature.of("predict", "model", "x"))
def emit_predict(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """The model's output, computed without training behaviour."""
    m = model_arg(em, a["model"], locs["model"])
    x = em.value(required(a, "x"), locs["x"])
    # Features are f32; whole numbers become the ids of a forward that takes integers.
    ids = ctx.input_dtype(m.type, loc)
    record = x.type.record if isinstance(x.type, DatasetT) else x.type
    if isinstance(record, RecordT):
        out = record_result(ctx, m, record, locs["x"])
        return _call(em, host.PredictOp, {"model": m.ssa, "input": x.ssa}, out, loc)
    if isinstance(x.type, DatasetT):
        x_type: MType = TensorT(ids if ids in INT_DTYPES else "f32", (None, None))
    elif isinstance(x.type, TensorT):
        x_type = x.type
        if ids is not None and ids in INT_DTYPES and x.type.dtype in FLOAT_DTYPES:
            x_type = TensorT(ids, x.type.shape)
    else:
        raise CompileError(locs["x"], f"predict needs a tensor, a record or a data set, "
                                      f"got {x.type}")
    out = ctx.method_result(m.type, "forward", [x_type], loc)
    return _call(em, host.PredictOp, {"model": m.ssa, "input": x.ssa}, out, loc)


@host_function(Signature.of("quantize", "model", "dtype", ("mode", "weight"),
                            ("calibrate", None)))
def emit_quantize(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """A quantized copy of a model."""
    choice(a["dtype"], ("int8",), locs["dtype"], "quantization type")
    choice(a["mode"], QUANT_MODES, locs["mode"], "quantization mode")
    mode, calib = a["mode"], a["calibrate"]
    no_calib = calib is None or (isinstance(calib, Static) and calib.value is None)
    if isinstance(mode, Static) and mode.value == "static" and no_calib:
        raise CompileError(locs["mode"], "mode=\"static\" needs calibrate=DATASET")
    written = "weight" if mode is None else mode.value if isinstance(mode, Static) else None
    if not no_calib and (unread := calibrate_unread(written)):
        raise CompileError(locs["calibrate"], unread)
    m = model_arg(em, a["model"], locs["model"])
    if m.type.quantized:
        raise CompileError(locs["model"], "this model is already quantized")
    operands = {
        "model": m.ssa,
        "dtype": arg(em, a["dtype"], STR, locs["dtype"], "the dtype").ssa,
        "mode": optional(em, mode, STR, locs["mode"], "mode"),
        "calibrate": None if no_calib else
        data_arg(ctx, em, m, calib, locs["calibrate"], "calibrate").ssa,
    }
    return _call(em, host.QuantizeOp, operands, ModelT(m.type.definition, quantized=True), loc)


@host_function(Signature.of("save", "model", "path", ("tokenizer", None), ("classes", None)))
def emit_save(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Writes a model package, with the tokenizer and class names given."""
    operands = {"model": model_arg(em, a["model"], locs["model"]).ssa,
                "path": arg(em, a["path"], STR, locs["path"], "the path").ssa,
                "tokenizer": optional(em, a["tokenizer"], TokenizerT(), locs["tokenizer"],
                                      "tokenizer"),
                "classes": optional(em, a["classes"], ListT(STR), locs["classes"], "classes")}
    return _call(em, host.SaveOp, operands, None, loc)


@host_function(Signature.of("export", "model", "path"))
def emit_export(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Writes a model's forward as ONNX or a `torch.export` program."""
    path = a["path"]
    if isinstance(path, Static) and isinstance(path.value, str) and \
            not path.value.endswith(EXPORT_FORMATS):
        raise CompileError(locs["path"], f"export writes {' or '.join(EXPORT_FORMATS)} files, "
                                         f"not '{path.value}'")
    operands = {"model": model_arg(em, a["model"], locs["model"]).ssa,
                "path": arg(em, path, STR, locs["path"], "the path").ssa}
    return _call(em, host.ExportOp, operands, None, loc)


@host_function(Signature.of("load_model", "path"))
def emit_load_model(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Reads a model package."""
    path = arg(em, a["path"], STR, locs["path"], "the path")
    return _call(em, host.LoadModelOp, {"path": path.ssa}, ModelT(None), loc)


@host_function(Signature.of("load_weights", "model", "path", *WEIGHT_OPTIONS))
def emit_load_weights(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Fills a model, or one field of it (`net.body`), from a weights file."""
    target, props = a["model"], weight_options(a, locs)
    if isinstance(target, FieldPath):
        props["field"] = StringAttr(target.path)
        target = target.owner
    operands = {"model": model_arg(em, target, locs["model"]).ssa,
                "path": arg(em, a["path"], STR, locs["path"], "the path").ssa}
    em.insert(host.LoadWeightsOp.create(operands=list(operands.values()), properties=props), loc)
    return Static(None)


@host_function(Signature.of("file_size", "path"))
def emit_file_size(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """The size of a file in bytes (an addition to the spec: comparing package sizes)."""
    path = arg(em, a["path"], STR, locs["path"], "the path")
    return _call(em, host.FileSizeOp, {"path": path.ssa}, INT, loc)


@host_function(Signature.of("plot", "log", "path"))
def emit_plot(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Draws a `fit` log's columns against the epoch into an image file."""
    operands = {"log": arg(em, a["log"], STR, locs["log"], "the log").ssa,
                "path": arg(em, a["path"], STR, locs["path"], "the path").ssa}
    return _call(em, host.PlotOp, operands, None, loc)


@host_function(Signature.of("params", "model"))
def emit_params(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """The number of parameters."""
    return _call(em, host.ParamsOp, {"model": model_arg(em, a["model"], locs["model"]).ssa},
                 INT, loc)


@host_function(Signature.of("summary", "model"))
def emit_summary(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Prints a table of layers."""
    return _call(em, host.SummaryOp, {"model": model_arg(em, a["model"], locs["model"]).ssa},
                 None, loc)


@host_function(Signature.of("str", "x"))
def emit_str(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """A number, boolean, string or tensor as `print` shows it."""
    x = required(a, "x")
    if isinstance(x, Static) and isinstance(x.value, str):
        return x
    d = em.value(x, locs["x"])
    if d.type not in (INT, FLOAT, BOOL, STR) and not isinstance(d.type, TensorT):
        raise CompileError(locs["x"], f"str takes a number, boolean, string or tensor, "
                                      f"got {describe(x)}")
    return em.result(host.ToStrOp.create(operands=[d.ssa], result_types=[ir_type(STR)]), STR,
                     loc)


def emit_print(em: Emitter, call: ast.Call, args: list[Value], kwargs: dict[str, Value]) -> Value:
    """Prints values separated by spaces; `full=true` shows every number of a tensor."""
    for kw in call.kwargs:
        if kw.name != "full":
            raise CompileError(kw.loc, f"print takes no keyword arguments but full, "
                                       f"not '{kw.name}'")
    full = kwargs.get("full", Static(False))
    if not (isinstance(full, Static) and isinstance(full.value, bool)):
        raise CompileError(call.kwargs[0].loc, "full must be true or false, known at compile "
                                               "time")
    values = [em.value(v, node.loc).ssa for v, node in zip(args, call.args)]
    properties = {"full": UnitAttr()} if full.value else {}
    em.insert(host.PrintOp.create(operands=values, properties=properties), call.loc)
    return Static(None)


WRITE_FORMATS = (".safetensors", ".npz")


def emit_write(em: Emitter, call: ast.Call, args: list[Value], kwargs: dict[str, Value]) -> Value:
    """`write(PATH, name=tensor, ...)`: writes named tensors to a .safetensors or .npz file."""
    if len(args) != 1:
        raise CompileError(call.loc, f"write takes one path and named tensors, got "
                                     f"{len(args)} positional arguments")
    path = args[0]
    if isinstance(path, Static) and isinstance(path.value, str) and \
            not path.value.endswith(WRITE_FORMATS):
        raise CompileError(call.args[0].loc, f"write makes a .safetensors or .npz file, not "
                                             f"'{path.value}'")
    if not kwargs:
        raise CompileError(call.loc, "write needs tensors to write, as name=tensor")
    tensors = []
    for kw in call.kwargs:
        d = em.value(kwargs[kw.name], kw.loc)
        if not isinstance(d.type, TensorT):
            raise CompileError(kw.loc, f"write writes tensors; '{kw.name}' is {d.type}")
        tensors.append(d.ssa)
    operands = [arg(em, path, STR, call.args[0].loc, "the path").ssa, *tensors]
    names = ArrayAttr([StringAttr(kw.name) for kw in call.kwargs])
    em.insert(host.WriteOp.create(operands=operands, properties={"names": names}), call.loc)
    return Static(None)




# The text and table built-ins register themselves with `host_function` when imported.
from mlang.frontend.data_functions import emit_standardize  # noqa: E402
