"""Host operations on text and tables: tokenizers, records, the columns of a data set, and
standardizing (M-LANGUAGE-0.2 section 5)."""

from __future__ import annotations

from xdsl.dialects.builtin import StringAttr, TensorType, TupleType, i64
from xdsl.irdl import (
    IRDLOperation, base, irdl_op_definition, operand_def, opt_operand_def, prop_def, result_def,
    var_operand_def,
)
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.model.host import ANY, SEGMENTS, host_format
from mlang.dialects.model.types import (
    ColumnType, DatasetType, ListType, ModelType, RecordType, StrType, TokenizerType,
)

STR_LIST = ListType(StrType())


def _check_texts(op: str, t: object) -> None:
    """Texts are a list of strings or a column of a data set."""
    if t != STR_LIST and not isinstance(t, ColumnType):
        raise VerifyException(f"{op}: texts must be !model.list<!model.str> or a "
                              f"!model.column, got {t}")


@irdl_op_definition
class TokenizerOp(IRDLOperation):
    """A tokenizer read from a tokenizer.json file or the folder that holds one."""

    name = "model.tokenizer"
    path = operand_def(StrType)
    result = result_def(TokenizerType)
    assembly_format = host_format(["path"], [])


@irdl_op_definition
class TrainTokenizerOp(IRDLOperation):
    """A WordPiece tokenizer (BERT normalisation) trained on texts."""

    name = "model.train_tokenizer"
    texts = operand_def(ANY)
    vocab = opt_operand_def(i64)
    result = result_def(TokenizerType)
    irdl_options = SEGMENTS
    assembly_format = host_format(["texts"], ["vocab"])

    def verify_(self) -> None:
        _check_texts(self.name, self.texts.type)


@irdl_op_definition
class TokenizeOp(IRDLOperation):
    """Texts (and `pairs`) as a record of `input_ids`, `attention_mask` and `token_type_ids`,
    or, given a data set and its text `column`, that data set with the record as features."""

    name = "model.tokenize"
    tokenizer = operand_def(TokenizerType)
    texts = operand_def(ANY)
    max_len = opt_operand_def(i64)
    pairs = opt_operand_def(ANY)
    column = opt_operand_def(StrType)
    result = result_def(base(RecordType) | base(DatasetType))
    irdl_options = SEGMENTS
    assembly_format = host_format(["tokenizer", "texts"], ["max_len", "pairs", "column"])

    def verify_(self) -> None:
        if isinstance(self.texts.type, DatasetType):
            if self.column is None or self.pairs is not None:
                raise VerifyException("model.tokenize: a data set needs column and no pairs")
            if not isinstance(self.result.type, DatasetType):
                raise VerifyException("model.tokenize: a data set gives a data set")
            return
        _check_texts(self.name, self.texts.type)
        if self.pairs is not None:
            _check_texts(self.name, self.pairs.type)
        if self.column is not None or not isinstance(self.result.type, RecordType):
            raise VerifyException("model.tokenize: texts give a record, without column")


@irdl_op_definition
class DecodeOp(IRDLOperation):
    """The text of each row of token ids."""

    name = "model.decode"
    tokenizer = operand_def(TokenizerType)
    ids = operand_def(TensorType)
    result = result_def(STR_LIST)
    assembly_format = host_format(["tokenizer", "ids"], [])


@irdl_op_definition
class ColumnOp(IRDLOperation):
    """One column of a data set read from a table, by name."""

    name = "model.column"
    data = operand_def(DatasetType)
    column = prop_def(StringAttr)
    result = result_def(ColumnType)
    assembly_format = "$data $column attr-dict `:` type($data) `->` type($result)"


@irdl_op_definition
class ClassesOp(IRDLOperation):
    """The class names, in sorted order, of a data set's labels or of a column; or those a
    model package was saved with."""

    name = "model.classes"
    value = operand_def(base(DatasetType) | base(ColumnType) | base(ModelType))
    result = result_def(STR_LIST)
    assembly_format = host_format(["value"], [])


@irdl_op_definition
class ModelTokenizerOp(IRDLOperation):
    """The tokenizer a model package was saved with (`m.tokenizer`)."""

    name = "model.model_tokenizer"
    model = operand_def(ModelType)
    result = result_def(TokenizerType)
    assembly_format = host_format(["model"], [])


@irdl_op_definition
class FieldOp(IRDLOperation):
    """One named tensor of a record."""

    name = "model.field"
    record = operand_def(RecordType)
    field = prop_def(StringAttr)
    result = result_def(TensorType)
    assembly_format = "$record $field attr-dict `:` type($record) `->` type($result)"


@irdl_op_definition
class StandardizeOp(IRDLOperation):
    """The data sets with numeric features scaled by the first one's mean and deviation: a
    tuple of them, or the one data set."""

    name = "model.standardize"
    data = var_operand_def(DatasetType)
    result = result_def(base(TupleType) | base(DatasetType))
    assembly_format = "$data attr-dict `:` type($data) `->` type($result)"

    def verify_(self) -> None:
        t = self.result.type
        out = list(t.types.data) if isinstance(t, TupleType) else [t]
        if not self.data or out != [DatasetType()] * len(self.data) or \
                (len(out) == 1) != isinstance(t, DatasetType):
            raise VerifyException("model.standardize: one data set out per data set in")


DATA_OPS: list[type[IRDLOperation]] = [
    TokenizerOp, TrainTokenizerOp, TokenizeOp, DecodeOp, ColumnOp, ClassesOp, ModelTokenizerOp,
    FieldOp, StandardizeOp,
]
