"""IR generation for the text and table built-ins (M-LANGUAGE-0.2 section 5): tokenizers,
records, the columns and classes of a data set, and `standardize`."""

from __future__ import annotations

from xdsl.dialects.builtin import StringAttr

from mlang.dialects.model import data
from mlang.frontend import ast
from mlang.frontend.builtin_args import Args, Locs, required
from mlang.frontend.emitter import Emitter
from mlang.frontend.host_functions import (
    HostContext, _call, arg, host_function, optional, positive,
)
from mlang.frontend.signatures import Signature
from mlang.frontend.types import (
    INT, STR, ColumnT, DatasetT, ListT, ModelT, MType, RecordT, TensorT, TokenizerT, TupleT,
    ir_type,
)
from mlang.frontend.values import Dyn, Static, Value, describe
from mlang.support.diagnostics import CompileError, Loc

STR_LIST = ListT(STR)
TOKENIZER_FIELDS = ("input_ids", "attention_mask", "token_type_ids")
PACKAGE_MEMBERS = ("tokenizer", "classes")
"""What a model read by `load_model` holds besides its methods (`save`'s keywords)."""


def tokenizer_record(max_len: int | None) -> RecordT:
    """The record `tokenize` gives: three i64 `[N, max_len]` tensors."""
    t = TensorT("i64", (None, max_len))
    return RecordT(tuple((name, t) for name in TOKENIZER_FIELDS))


def texts_arg(em: Emitter, v: Value | None, loc: Loc, what: str) -> Dyn[MType]:
    """Texts: a list of strings or a column of a data set."""
    if v is None:
        raise CompileError(loc, f"{what} is missing")
    d = em.value(v, loc)
    if d.type == STR_LIST or isinstance(d.type, ColumnT):
        return d
    raise CompileError(loc, f"{what} must be a list of strings or a data set's column, "
                            f"got {describe(d)}")


@host_function(Signature.of("tokenizer", "path"))
def emit_tokenizer(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """A tokenizer from a tokenizer.json file or its folder."""
    path = arg(em, a["path"], STR, locs["path"], "the path")
    return _call(em, data.TokenizerOp, {"path": path.ssa}, TokenizerT(), loc)


@host_function(Signature.of("train_tokenizer", "texts", ("vocab", 8000)))
def emit_train_tokenizer(ctx: HostContext, em: Emitter, a: Args, locs: Locs,
                         loc: Loc) -> Value:
    """A WordPiece tokenizer trained on texts."""
    positive(a["vocab"], locs["vocab"], "vocab")
    operands = {"texts": texts_arg(em, a["texts"], locs["texts"], "the texts").ssa,
                "vocab": optional(em, a["vocab"], INT, locs["vocab"], "vocab")}
    return _call(em, data.TrainTokenizerOp, operands, TokenizerT(), loc)


@host_function(Signature.of("tokenize", "tokenizer", "texts", ("max_len", 128), ("pairs", None),
                            ("column", None)))
def emit_tokenize(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """A record of token ids, or a data set whose features are one."""
    positive(a["max_len"], locs["max_len"], "max_len")
    tok = arg(em, a["tokenizer"], TokenizerT(), locs["tokenizer"], "the tokenizer")
    texts = em.value(required(a, "texts"), locs["texts"])
    max_len = a["max_len"]
    record = tokenizer_record(128 if max_len is None else _known_int(max_len))
    column = optional(em, a["column"], STR, locs["column"], "column")
    result: MType = record
    if isinstance(texts.type, DatasetT):
        if column is None:
            raise CompileError(loc, "tokenize of a data set needs column=\"NAME\", the column "
                                    "of text")
        if a["pairs"] is not None:
            raise CompileError(locs["pairs"], "pairs apply to lists of texts, not data sets")
        result = DatasetT(labels=texts.type.labels, record=record)
    else:
        texts = texts_arg(em, texts, locs["texts"], "the texts")
        if column is not None:
            raise CompileError(locs["column"], "column= applies to a data set, not to texts")
    pairs = a["pairs"]
    operands = {
        "tokenizer": tok.ssa, "texts": texts.ssa,
        "max_len": optional(em, a["max_len"], INT, locs["max_len"], "max_len"),
        "pairs": None if pairs is None else texts_arg(em, pairs, locs["pairs"], "pairs").ssa,
        "column": column,
    }
    return _call(em, data.TokenizeOp, operands, result, loc)


def _known_int(v: Value) -> int | None:
    """An int known at compile time, else None (a size known only at run time)."""
    if isinstance(v, Static) and isinstance(v.value, int) and not isinstance(v.value, bool):
        return v.value
    return None


@host_function(Signature.of("decode", "tokenizer", "ids"))
def emit_decode(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """The texts of rows of token ids."""
    tok = arg(em, a["tokenizer"], TokenizerT(), locs["tokenizer"], "the tokenizer")
    ids = em.value(required(a, "ids"), locs["ids"])
    if not isinstance(ids.type, TensorT):
        raise CompileError(locs["ids"], f"decode needs a tensor of ids, got {describe(ids)}")
    return _call(em, data.DecodeOp, {"tokenizer": tok.ssa, "ids": ids.ssa}, STR_LIST, loc)


def emit_standardize(em: Emitter, call: ast.Call, args: list[Value],
                     kwargs: dict[str, Value]) -> Value:
    """`standardize(train, test...)`: a tuple of the data sets, scaled by the first's
    statistics (a single data set for one argument)."""
    if kwargs or not args:
        raise CompileError(call.loc, "standardize takes data sets, the first one giving the "
                                     "mean and deviation: standardize(train, test)")
    sets = [arg(em, v, DatasetT(), node.loc, "each argument") for v, node in zip(args, call.args)]
    t: MType = TupleT(tuple(s.type for s in sets)) if len(sets) > 1 else sets[0].type
    op = data.StandardizeOp.create(operands=[s.ssa for s in sets], result_types=[ir_type(t)])
    return em.result(op, t, call.loc)


# ---------------------------------------------------------------------- members


def data_member(em: Emitter, owner: Dyn[MType], name: str, loc: Loc) -> Value | None:
    """`data.classes`, `data.COLUMN`, `column.classes`, `record.FIELD`, and a loaded
    package's `m.tokenizer` and `m.classes`; None for others."""
    t = owner.type
    if isinstance(t, ModelT) and t.definition is None and name in PACKAGE_MEMBERS:
        if name == "classes":
            return _classes(em, owner, loc)
        tok = data.ModelTokenizerOp.create(operands=[owner.ssa],
                                           result_types=[ir_type(TokenizerT())])
        return em.result(tok, TokenizerT(), loc)
    if isinstance(t, DatasetT) and name not in ("x", "y"):
        if name == "classes":
            return _classes(em, owner, loc)
        op = data.ColumnOp.create(operands=[owner.ssa], result_types=[ir_type(ColumnT())],
                                  properties={"column": StringAttr(name)})
        return em.result(op, ColumnT(), loc)
    if isinstance(t, ColumnT):
        if name != "classes":
            raise CompileError(loc, f"a column has the attribute classes, not '{name}'")
        return _classes(em, owner, loc)
    if isinstance(t, RecordT):
        return _field(em, owner, t, name, loc)
    return None


def _classes(em: Emitter, owner: Dyn[MType], loc: Loc) -> Value:
    """The sorted class names of a data set's labels or of a column."""
    op = data.ClassesOp.create(operands=[owner.ssa], result_types=[ir_type(STR_LIST)])
    return em.result(op, STR_LIST, loc)


def _field(em: Emitter, owner: Dyn[MType], t: RecordT, name: str, loc: Loc) -> Value:
    """One tensor of a record."""
    fields = dict(t.fields) if t.fields is not None else None
    if fields is not None and name not in fields:
        raise CompileError(loc, f"the record has no field '{name}'; its fields are "
                                + ", ".join(fields))
    field_t = fields[name] if fields is not None else TensorT("i64", (None, None))
    op = data.FieldOp.create(operands=[owner.ssa], result_types=[ir_type(field_t)],
                             properties={"field": StringAttr(name)})
    return em.result(op, field_t, loc)
