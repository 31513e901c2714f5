"""What the text and table ops do when the host program runs (tokenizers, records, columns,
classes, standardize)."""

from __future__ import annotations

from typing import TypeVar

from tokenizers import Tokenizer

from mlang.dialects.model import data
from mlang.runtime import distributed, text
from mlang.runtime.datasets import Column, Dataset, standardize
from mlang.runtime.interpreter import Args, Interpreter, handles, option
from mlang.runtime.model import ModelInstance
from mlang.support.diagnostics import UserError

T = TypeVar("T")


@handles(data.TokenizerOp)
def _tokenizer(it: Interpreter, op: data.TokenizerOp, args: Args) -> object:
    return text.load_tokenizer(args[0])


@handles(data.TrainTokenizerOp)
def _train_tokenizer(it: Interpreter, op: data.TrainTokenizerOp, args: Args) -> object:
    def train() -> Tokenizer:
        return text.train_tokenizer(args[0], option(args, op, "vocab", 8000))

    if distributed.world_size() == 1:
        return train()
    # Training is not deterministic where counts tie (huggingface/tokenizers#1794), so
    # under `--nproc` every process takes rank 0's tokenizer: the same ids everywhere.
    return Tokenizer.from_str(distributed.text_from_main(lambda: train().to_str()))


@handles(data.TokenizeOp)
def _tokenize(it: Interpreter, op: data.TokenizeOp, args: Args) -> object:
    tok, texts, max_len = args[0], args[1], option(args, op, "max_len", 128)
    if isinstance(texts, Dataset):
        return text.tokenize_dataset(tok, texts, option(args, op, "column", ""), max_len)
    return text.tokenize(tok, texts, max_len, option(args, op, "pairs", None))


@handles(data.DecodeOp)
def _decode(it: Interpreter, op: data.DecodeOp, args: Args) -> object:
    return text.decode(args[0], args[1])


@handles(data.ColumnOp)
def _column(it: Interpreter, op: data.ColumnOp, args: Args) -> object:
    return args[0].column(op.column.data)


@handles(data.ClassesOp)
def _classes(it: Interpreter, op: data.ClassesOp, args: Args) -> object:
    value = args[0]
    if isinstance(value, Column) and value.text is None:
        raise UserError(f"column '{value.name}' holds numbers, which have no classes")
    if isinstance(value, Dataset) and not value.classes:
        raise UserError("this data set's labels were not strings, so it has no classes")
    if isinstance(value, ModelInstance):
        return list(_packed(value, value.classes, "classes", "classes=data.classes"))
    return list(value.classes)


@handles(data.ModelTokenizerOp)
def _model_tokenizer(it: Interpreter, op: data.ModelTokenizerOp, args: Args) -> object:
    model = args[0]
    return _packed(model, model.tokenizer, "tokenizer", "tokenizer=tok")


def _packed(model: ModelInstance, value: T | None, what: str, keyword: str) -> T:
    """A model's packed tokenizer or classes; a model without them is an error saying
    how to save them."""
    if value is None:
        raise UserError(f"model {model.name} has no {what}: it was not saved with one "
                        f"(save(model, PATH, {keyword}))")
    return value


@handles(data.FieldOp)
def _field(it: Interpreter, op: data.FieldOp, args: Args) -> object:
    record, name = args[0], op.field.data
    if name not in record:
        raise UserError(f"the record has no field '{name}'; its fields are {', '.join(record)}")
    return record[name]


@handles(data.StandardizeOp)
def _standardize(it: Interpreter, op: data.StandardizeOp, args: Args) -> object:
    out = standardize(*args)
    return out if len(out) > 1 else out[0]
