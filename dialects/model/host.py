"""Host operations: the statements of the program's `func.func @main` (M-LANGUAGE.md
section 8) and the host values they work on (strings, lists, tuples, variables).

Keyword arguments are optional operands written `name(%v)`; an absent one takes the
default of the spec, applied by the runtime.
"""

from __future__ import annotations

from xdsl.dialects import arith
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX, ArrayAttr, DictionaryAttr, IntegerAttr, IntegerType, StringAttr, TensorType,
    TupleType, UnitAttr, UnrankedTensorType, f64, i1, i64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    AnyAttr, AttrSizedOperandSegments, IRDLOperation, base, irdl_op_definition, operand_def,
    opt_operand_def, opt_prop_def, prop_def, region_def, result_def, traits_def, var_operand_def,
    var_result_def,
)
from xdsl.traits import IsTerminator, Pure
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.model.types import (
    DatasetType, ListType, ModelType, RecordType, StrType, TokenizerType,
)

SEGMENTS = (AttrSizedOperandSegments(as_property=True),)


def host_format(positional: list[str], keywords: list[str], result: bool = True) -> str:
    """The assembly format of a host call: `%a, %b kw(%c : f64) : type, type -> type`."""
    parts = [" `,` ".join(f"${p}" for p in positional)]
    parts += [f"(`{k}` `(` ${k}^ `:` type(${k}) `)`)?" for k in keywords]
    types = " `,` ".join(f"type(${p})" for p in positional)
    tail = " `->` type($result)" if result else ""
    return " ".join(parts) + f" attr-dict `:` {types}{tail}"


# ------------------------------------------------------------------------- values


@irdl_op_definition
class StrOp(IRDLOperation):
    """A string constant."""

    name = "model.str"
    value = prop_def(StringAttr)
    result = result_def(StrType)
    traits = traits_def(Pure())
    assembly_format = "$value attr-dict"

    def __init__(self, value: str):
        super().__init__(properties={"value": StringAttr(value)}, result_types=[StrType()])


@irdl_op_definition
class ListOp(IRDLOperation):
    """Builds a host list from values of one type."""

    name = "model.list"
    elements = var_operand_def()
    result = result_def(ListType)
    traits = traits_def(Pure())
    assembly_format = "$elements attr-dict `:` functional-type($elements, $result)"

    def verify_(self) -> None:
        assert isinstance(self.result.type, ListType)
        for v in self.elements:
            if v.type != self.result.type.element_type:
                raise VerifyException(
                    f"model.list: every element must have the list's type "
                    f"{self.result.type.element_type}, got {v.type}"
                )


@irdl_op_definition
class TupleOp(IRDLOperation):
    """Builds a host tuple."""

    name = "model.tuple"
    elements = var_operand_def()
    result = result_def(TupleType)
    traits = traits_def(Pure())
    assembly_format = "$elements attr-dict `:` functional-type($elements, $result)"

    def verify_(self) -> None:
        assert isinstance(self.result.type, TupleType)
        if list(self.result.type.types.data) != [v.type for v in self.elements]:
            raise VerifyException("model.tuple: result type must list the element types")


@irdl_op_definition
class IndexOp(IRDLOperation):
    """`v[i]` on a host list, tuple, tensor (first dimension) or data set row range; a list
    indexed by an integer tensor (`data.classes[argmax(p, 1)]`) gives the element of each
    index (a list, for a 1-d tensor)."""

    name = "model.index"
    value = operand_def()
    index = operand_def(base(IntegerType) | base(TensorType) | base(UnrankedTensorType))
    result = result_def()
    assembly_format = "$value `[` $index `]` attr-dict `:` functional-type(operands, results)"

    def verify_(self) -> None:
        t, result, index_type = self.value.type, self.result.type, self.index.type
        if isinstance(index_type, (TensorType, UnrankedTensorType)):
            _verify_gather(t, index_type, result)
            return
        if index_type != i64:
            raise VerifyException(f"model.index: the index must be i64 or a tensor, got "
                                  f"{index_type}")
        if isinstance(t, ListType):
            expected = t.element_type
        elif isinstance(t, TupleType):
            types = list(t.types.data)
            index = _constant_int(self.index)
            if index is None:
                if any(e != result for e in types):
                    raise VerifyException("model.index: a tuple of mixed types needs a "
                                          "constant index")
                return
            if not -len(types) <= index < len(types):
                raise VerifyException(f"model.index: index {index} is out of range for "
                                      f"{len(types)} elements")
            expected = types[index]
        elif isinstance(t, TensorType):
            if t.get_num_dims() == 0:
                raise VerifyException("model.index: a 0-d tensor has no rows")
            expected = TensorType(t.element_type, t.get_shape()[1:])
        else:
            return  # a tensor of unknown rank: its rows are checked when the program runs
        if result != expected:
            raise VerifyException(f"model.index: an element of {t} is {expected}, not {result}")


def _verify_gather(t: Attribute, index: TensorType[Attribute] | UnrankedTensorType[Attribute],
                   result: Attribute) -> None:
    """A list indexed by an integer tensor of rank 0 (its element) or 1 (a list of them;
    also for a tensor of unknown rank, whose rank is checked when the program runs)."""
    rank = index.get_num_dims() if isinstance(index, TensorType) else 1
    if not isinstance(t, ListType) or not isinstance(index.element_type, IntegerType) or \
            rank > 1:
        raise VerifyException("model.index: only a list takes a tensor index, one of integers "
                              "of rank 0 or 1")
    expected = ListType(t.element_type) if rank else t.element_type
    if result != expected:
        raise VerifyException(f"model.index: {t} indexed by {index} is {expected}, not {result}")


def _constant_int(value: SSAValue) -> int | None:
    """The value of an `arith.constant` integer, or None."""
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


@irdl_op_definition
class UnpackOp(IRDLOperation):
    """`let (a, b) = v` of a value whose structure is known only at run time (what a
    model read by `load_model` returns): each result is an element of the tuple `v`
    must then be, and any other value is an error when the program runs."""

    name = "model.unpack"
    value = operand_def(UnrankedTensorType)
    elements = var_result_def(UnrankedTensorType)
    assembly_format = "$value attr-dict `:` type($value) `->` type($elements)"

    def verify_(self) -> None:
        if len(self.elements) < 2:
            raise VerifyException("model.unpack: unpacks into two values or more")


@irdl_op_definition
class ExpectShapesOp(IRDLOperation):
    """The arguments of one function call whose ranks are known only at run time (a
    loaded model's results), checked when the call runs against the types the function
    declares and given those ranks: `dims` holds each one's sizes, an integer or a size
    name ("" for any size), and a name stands for one size in all of them; `labels` says
    what each is (`argument 'x' of f`) for the error."""

    name = "model.expect_shapes"
    values = var_operand_def(UnrankedTensorType)
    checked = var_result_def(TensorType)
    dims = prop_def(ArrayAttr[ArrayAttr[IntegerAttr | StringAttr]])
    labels = prop_def(ArrayAttr[StringAttr])
    assembly_format = ("$values `dims` $dims `labels` $labels attr-dict `:` "
                       "functional-type($values, $checked)")

    def verify_(self) -> None:
        if not len(self.values) == len(self.checked) == len(self.dims) == len(self.labels):
            raise VerifyException("model.expect_shapes: one result, dims and label per value")
        for value, result, dims in zip(self.values, self.checked, self.dims):
            assert isinstance(value.type, UnrankedTensorType)
            assert isinstance(result.type, TensorType)
            want = [d.value.data if isinstance(d, IntegerAttr) else DYNAMIC_INDEX for d in dims]
            if result.type.element_type != value.type.element_type or \
                    list(result.type.get_shape()) != want:
                raise VerifyException(f"model.expect_shapes: result type {result.type} does "
                                      f"not follow its value's dtype and dims")


@irdl_op_definition
class SliceRowsOp(IRDLOperation):
    """`v[lo:hi]` on a host list, tensor (first dimension) or data set; bounds optional."""

    name = "model.slice_rows"
    value = operand_def()
    lo = opt_operand_def(i64)
    hi = opt_operand_def(i64)
    result = result_def()
    irdl_options = SEGMENTS
    assembly_format = host_format(["value"], ["lo", "hi"])

    def verify_(self) -> None:
        if self.value.type != self.result.type and not isinstance(self.value.type, TensorType):
            raise VerifyException("model.slice_rows: result type must equal the operand's")


@irdl_op_definition
class RangeOp(IRDLOperation):
    """The list `[lo, lo+1, ..., hi-1]`."""

    name = "model.range"
    lo = operand_def(i64)
    hi = operand_def(i64)
    result = result_def(ListType)
    traits = traits_def(Pure())
    assembly_format = "$lo `,` $hi attr-dict `:` type($result)"

    def verify_(self) -> None:
        assert isinstance(self.result.type, ListType)
        if self.result.type.element_type != i64:
            raise VerifyException(f"model.range: gives !model.list<i64>, not {self.result.type}")


@irdl_op_definition
class SetVarOp(IRDLOperation):
    """Stores a value into a named host variable (for names assigned more than once)."""

    name = "model.set_var"
    var = prop_def(StringAttr)
    value = operand_def()
    assembly_format = "$var `,` $value attr-dict `:` type($value)"


@irdl_op_definition
class GetVarOp(IRDLOperation):
    """Reads a named host variable."""

    name = "model.get_var"
    var = prop_def(StringAttr)
    result = result_def()
    assembly_format = "$var attr-dict `:` type($result)"


# ---------------------------------------------------------------------- control flow


@irdl_op_definition
class YieldOp(IRDLOperation):
    """Ends the body of a `model.for` or a branch of `model.if`."""

    name = "model.yield"
    traits = traits_def(IsTerminator())
    assembly_format = "attr-dict"


@irdl_op_definition
class ForOp(IRDLOperation):
    """Runs its body once per element of a host list; the block argument is the element."""

    name = "model.for"
    iterable = operand_def(ListType)
    body = region_def("single_block")
    assembly_format = "$iterable `:` type($iterable) $body attr-dict"

    def verify_(self) -> None:
        args = self.body.block.args
        assert isinstance(self.iterable.type, ListType)
        if len(args) != 1 or args[0].type != self.iterable.type.element_type:
            got = ", ".join(str(a.type) for a in args)
            raise VerifyException(
                "model.for: the body must take one argument of the element type "
                f"{self.iterable.type.element_type}, got ({got})"
            )


class LoopJumpOp(IRDLOperation):
    """What `model.break` and `model.continue` share: each ends a block inside a
    `model.for` body, directly or in branches of `model.if`."""

    traits = traits_def(IsTerminator())
    assembly_format = "attr-dict"

    def __init__(self) -> None:
        super().__init__()

    def verify_(self) -> None:
        parent = self.parent_op()
        while isinstance(parent, IfOp):
            parent = parent.parent_op()
        if not isinstance(parent, ForOp):
            raise VerifyException(f"{self.name}: must be inside a model.for, through "
                                  "model.if only")


@irdl_op_definition
class BreakOp(LoopJumpOp):
    """Leaves the innermost `model.for`."""

    name = "model.break"


@irdl_op_definition
class ContinueOp(LoopJumpOp):
    """Goes on with the next element of the innermost `model.for`."""

    name = "model.continue"


@irdl_op_definition
class IfOp(IRDLOperation):
    """Runs one of two regions depending on a host boolean."""

    name = "model.if"
    cond = operand_def(i1)
    then_region = region_def("single_block")
    else_region = region_def("single_block")
    assembly_format = "$cond $then_region `else` $else_region attr-dict"


# ------------------------------------------------------------------ data and models


ANY = AnyAttr()  # an operand whose type the frontend checks (several types are allowed)


@irdl_op_definition
class SeedOp(IRDLOperation):
    """Fixes every random source."""

    name = "model.seed"
    value = operand_def(i64)
    assembly_format = host_format(["value"], [], result=False)


@irdl_op_definition
class DatasetOp(IRDLOperation):
    """A bundled data set by name."""

    name = "model.dataset"
    dataset_name = operand_def(StrType)
    result = result_def(DatasetType)
    assembly_format = host_format(["dataset_name"], [])


@irdl_op_definition
class LoadOp(IRDLOperation):
    """A data set from a .csv, .jsonl or .npz file or a folder of images; `no_target` is
    `target=none` (features only)."""

    name = "model.load"
    path = operand_def(StrType)
    target = opt_operand_def(StrType)
    one_hot_columns = opt_operand_def(i1)
    size = opt_operand_def(ListType)
    no_target = opt_prop_def(UnitAttr)
    result = result_def(DatasetType)
    irdl_options = SEGMENTS
    assembly_format = host_format(["path"], ["target", "one_hot_columns", "size"]).replace(
        " attr-dict", " (`no_target` $no_target^)? attr-dict")

    def verify_(self) -> None:
        if self.no_target is not None and self.target is not None:
            raise VerifyException("model.load: no_target and target exclude each other")


@irdl_op_definition
class SplitOp(IRDLOperation):
    """`(first, rest)`: a shuffled split, `fraction` of the rows first."""

    name = "model.split"
    data = operand_def(DatasetType)
    fraction = operand_def(f64)
    seed = opt_operand_def(i64)
    result = result_def(TupleType)
    irdl_options = SEGMENTS
    assembly_format = host_format(["data", "fraction"], ["seed"])


@irdl_op_definition
class DataXOp(IRDLOperation):
    """The features of a data set (f32), or its record (after `tokenize`)."""

    name = "model.data_x"
    data = operand_def(DatasetType)
    result = result_def(base(TensorType) | base(RecordType))
    assembly_format = host_format(["data"], [])


@irdl_op_definition
class DataYOp(IRDLOperation):
    """The labels of a data set."""

    name = "model.data_y"
    data = operand_def(DatasetType)
    result = result_def(TensorType)
    assembly_format = host_format(["data"], [])


@irdl_op_definition
class LenOp(IRDLOperation):
    """The length of a data set, list, tuple or tensor."""

    name = "model.len"
    value = operand_def(ANY)
    result = result_def(i64)
    assembly_format = host_format(["value"], [])


@irdl_op_definition
class FitOp(IRDLOperation):
    """Trains a model in place; returns the last epoch's mean loss."""

    name = "model.fit"
    model = operand_def(ModelType)
    data = operand_def(DatasetType)
    loss = opt_operand_def(StrType)
    optimizer = opt_operand_def(StrType)
    lr = opt_operand_def(f64)
    epochs = opt_operand_def(i64)
    batch = opt_operand_def(i64)
    freeze = opt_operand_def(ListType)
    weight_decay = opt_operand_def(f64)
    val = opt_operand_def(DatasetType)
    metric = opt_operand_def(StrType)
    patience = opt_operand_def(i64)
    schedule = opt_operand_def(StrType)
    warmup = opt_operand_def(i64)
    clip = opt_operand_def(f64)
    accumulate = opt_operand_def(i64)
    log = opt_operand_def(StrType)
    precision = opt_operand_def(StrType)
    checkpoint = opt_operand_def(StrType)
    checkpoint_every = opt_operand_def(i64)
    resume = opt_operand_def(i1)
    result = result_def(f64)
    irdl_options = SEGMENTS
    assembly_format = host_format(
        ["model", "data"],
        ["loss", "optimizer", "lr", "epochs", "batch", "freeze", "weight_decay", "val", "metric",
         "patience", "schedule", "warmup", "clip", "accumulate", "log", "precision",
         "checkpoint", "checkpoint_every", "resume"],
    )


@irdl_op_definition
class EvaluateOp(IRDLOperation):
    """Scores a model on a data set with a metric."""

    name = "model.evaluate"
    model = operand_def(ModelType)
    data = operand_def(DatasetType)
    metric = opt_operand_def(StrType)
    result = result_def(f64)
    irdl_options = SEGMENTS
    assembly_format = host_format(["model", "data"], ["metric"])


@irdl_op_definition
class PredictOp(IRDLOperation):
    """The model's output for a tensor or a data set, not training."""

    name = "model.predict"
    model = operand_def(ModelType)
    input = operand_def(ANY)
    result = result_def(ANY)
    assembly_format = host_format(["model", "input"], [])


@irdl_op_definition
class QuantizeOp(IRDLOperation):
    """A new model with int8 weights; the original is unchanged."""

    name = "model.quantize"
    model = operand_def(ModelType)
    dtype = operand_def(StrType)
    mode = opt_operand_def(StrType)
    calibrate = opt_operand_def(DatasetType)
    result = result_def(ModelType)
    irdl_options = SEGMENTS
    assembly_format = host_format(["model", "dtype"], ["mode", "calibrate"])


@irdl_op_definition
class SaveOp(IRDLOperation):
    """Writes a model package, with the tokenizer and class names given."""

    name = "model.save"
    model = operand_def(ModelType)
    path = operand_def(StrType)
    tokenizer = opt_operand_def(TokenizerType)
    classes = opt_operand_def(ListType(StrType()))
    irdl_options = SEGMENTS
    assembly_format = host_format(["model", "path"], ["tokenizer", "classes"], result=False)


@irdl_op_definition
class ExportOp(IRDLOperation):
    """Writes a model's forward as ONNX (`.onnx`) or a `torch.export` program (`.pt2`)."""

    name = "model.export"
    model = operand_def(ModelType)
    path = operand_def(StrType)
    assembly_format = host_format(["model", "path"], [], result=False)


@irdl_op_definition
class LoadModelOp(IRDLOperation):
    """Reads a model package."""

    name = "model.load_model"
    path = operand_def(StrType)
    result = result_def(ModelType)
    assembly_format = host_format(["path"], [])


@irdl_op_definition
class LoadWeightsOp(IRDLOperation):
    """Fills a model (or its field `field`) from .safetensors or a .pt state dict, the
    file's names mapped by `prefix`, `rename` and `transpose`; `lenient` is `strict=false`.

    ```
    model.load_weights %m, %p field "body" prefix "model." rename {h = "blocks"}
        transpose ["c_attn.weight"] lenient : !model.model<"Net">, !model.str
    ```
    """

    name = "model.load_weights"
    model = operand_def(ModelType)
    path = operand_def(StrType)
    field = opt_prop_def(StringAttr)
    prefix = opt_prop_def(StringAttr)
    rename = opt_prop_def(DictionaryAttr)
    transpose = opt_prop_def(ArrayAttr[StringAttr])
    lenient = opt_prop_def(UnitAttr)
    assembly_format = (
        "$model `,` $path (`field` $field^)? (`prefix` $prefix^)? (`rename` $rename^)? "
        "(`transpose` $transpose^)? (`lenient` $lenient^)? attr-dict `:` type($model) `,` "
        "type($path)")

    def verify_(self) -> None:
        if self.rename is not None and not all(
                isinstance(v, StringAttr) for v in self.rename.data.values()):
            raise VerifyException("model.load_weights: rename maps names to string names")


@irdl_op_definition
class LoadPretrainedOp(IRDLOperation):
    """Fills a model of the standard library from a Hugging Face checkpoint folder
    (`pretrained`): its tensors named as the model's, less those of the `fresh` fields (a
    new classification head, reported in a note); a file of the base model's tensors
    loads under `base` (`bert`). With `dtype` (`f32`, `bf16`, `f16`) the model runs in
    that dtype, whatever the program's (`mrun --dtype`), its weights converted to it.

    ```
    model.load_pretrained %m, %p base "bert" fresh ["classifier"] dtype "bf16"
        : !model.model<"BertForSequenceClassification">, !model.str
    ```
    """

    name = "model.load_pretrained"
    model = operand_def(ModelType)
    path = operand_def(StrType)
    base = opt_prop_def(StringAttr)
    fresh = opt_prop_def(ArrayAttr[StringAttr])
    other_head = opt_prop_def(UnitAttr)
    dtype = opt_prop_def(StringAttr)
    assembly_format = ("$model `,` $path (`base` $base^)? (`fresh` $fresh^)? "
                       "(`other_head` $other_head^)? (`dtype` $dtype^)? attr-dict `:` "
                       "type($model) `,` type($path)")

    def verify_(self) -> None:
        if self.dtype is not None and self.dtype.data not in ("f32", "bf16", "f16"):
            raise VerifyException(f"model.load_pretrained: dtype must be f32, bf16 or f16, "
                                  f"got '{self.dtype.data}'")


@irdl_op_definition
class FileSizeOp(IRDLOperation):
    """The size of a file in bytes (an implementation addition)."""

    name = "model.file_size"
    path = operand_def(StrType)
    result = result_def(i64)
    assembly_format = host_format(["path"], [])


@irdl_op_definition
class PlotOp(IRDLOperation):
    """Draws the columns of a `fit` log (a CSV file) against the epoch into an image."""

    name = "model.plot"
    log = operand_def(StrType)
    path = operand_def(StrType)
    assembly_format = host_format(["log", "path"], [], result=False)


@irdl_op_definition
class ParamsOp(IRDLOperation):
    """The number of parameters of a model."""

    name = "model.params"
    model = operand_def(ModelType)
    result = result_def(i64)
    assembly_format = host_format(["model"], [])


@irdl_op_definition
class ParameterOp(IRDLOperation):
    """A parameter of a model instance read by the host program (`net.fc.bias`): the
    tensor at `path` (its `state_dict` name), as it is now."""

    name = "model.parameter"
    model = operand_def(ModelType)
    path = prop_def(StringAttr)
    result = result_def(TensorType)
    assembly_format = "$model $path attr-dict `:` type($model) `->` type($result)"

    def verify_(self) -> None:
        names = self.path.data.split(".")
        if not all(n.isidentifier() or n.isdigit() for n in names):
            raise VerifyException(f"model.parameter: '{self.path.data}' is no parameter name "
                                  "(dotted field names, as in a state dict)")
        model = self.model.type
        if isinstance(model, ModelType) and model.is_dynamic:
            raise VerifyException("model.parameter: the model's definition must be known at "
                                  "compile time")


@irdl_op_definition
class SummaryOp(IRDLOperation):
    """Prints each layer, its output shape and parameter count."""

    name = "model.summary"
    model = operand_def(ModelType)
    assembly_format = host_format(["model"], [], result=False)


@irdl_op_definition
class PrintOp(IRDLOperation):
    """Writes its arguments separated by spaces, then a newline."""

    name = "model.print"
    values = var_operand_def()
    full = opt_prop_def(UnitAttr)  # never elide a tensor's numbers
    assembly_format = "(`full` $full^)? ($values^ `:` type($values))? attr-dict"


@irdl_op_definition
class WriteOp(IRDLOperation):
    """Writes named tensors to a `.safetensors` or `.npz` file."""

    name = "model.write"
    path = operand_def(StrType)
    tensors = var_operand_def()
    names = prop_def(ArrayAttr[StringAttr])
    assembly_format = "$path `,` $names $tensors attr-dict `:` type($tensors)"

    def verify_(self) -> None:
        names = [n.data for n in self.names]
        if not names or len(names) != len(self.tensors):
            raise VerifyException("model.write: one name per tensor, at least one")
        if len(set(names)) != len(names):
            raise VerifyException("model.write: the names must differ")
        if not all(isinstance(v.type, (TensorType, UnrankedTensorType)) for v in self.tensors):
            raise VerifyException("model.write: writes tensors only")


@irdl_op_definition
class ToStrOp(IRDLOperation):
    """`str(x)`: a host number, boolean, string or tensor as `model.print` shows it."""

    name = "model.to_str"
    input = operand_def()
    result = result_def(StrType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input)"

    def verify_(self) -> None:
        t = self.input.type
        if t not in (i64, f64, i1) and not isinstance(t, (StrType, TensorType,
                                                          UnrankedTensorType)):
            raise VerifyException(f"model.to_str: cannot show {t}")


@irdl_op_definition
class StrConcatOp(IRDLOperation):
    """`a + b` on host strings."""

    name = "model.str_concat"
    lhs = operand_def(StrType)
    rhs = operand_def(StrType)
    result = result_def(StrType)
    traits = traits_def(Pure())
    assembly_format = "$lhs `,` $rhs attr-dict"

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[lhs, rhs], result_types=[StrType()])


@irdl_op_definition
class StrEqOp(IRDLOperation):
    """`a == b` on host strings (`!=` is its `model.not`)."""

    name = "model.str_eq"
    lhs = operand_def(StrType)
    rhs = operand_def(StrType)
    result = result_def(i1)
    traits = traits_def(Pure())
    assembly_format = "$lhs `,` $rhs attr-dict"

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[lhs, rhs], result_types=[i1])


@irdl_op_definition
class HostFloatOp(IRDLOperation):
    """Converts a host int or bool to a float (keyword arguments such as `lr=1`)."""

    name = "model.to_float"
    input = operand_def()
    result = result_def(f64)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input)"

    def verify_(self) -> None:
        if self.input.type not in (i64, f64, i1):
            raise VerifyException("model.to_float: operand must be a host number")


HOST_OPS: list[type[IRDLOperation]] = [
    StrOp, ListOp, TupleOp, IndexOp, UnpackOp, ExpectShapesOp, SliceRowsOp, RangeOp, SetVarOp,
    GetVarOp, YieldOp, BreakOp, ContinueOp, ForOp, IfOp, SeedOp, DatasetOp, LoadOp, SplitOp,
    DataXOp, DataYOp, LenOp, FitOp, EvaluateOp, PredictOp, QuantizeOp, SaveOp, LoadModelOp, LoadWeightsOp, FileSizeOp,
    PlotOp, ParamsOp, ParameterOp, SummaryOp, PrintOp, WriteOp, ToStrOp, StrConcatOp, StrEqOp, HostFloatOp,
    ExportOp, LoadPretrainedOp,
]
