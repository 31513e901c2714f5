"""The host operation of text generation with a causal language model (M-LANGUAGE-0.2
section 7): `generate`, on token ids or, with a tokenizer, on text."""

from __future__ import annotations

from xdsl.dialects.builtin import TensorType, f64, i64
from xdsl.irdl import (
    IRDLOperation, base, irdl_op_definition, operand_def, opt_operand_def, result_def,
)
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.model.host import ANY, SEGMENTS, host_format
from mlang.dialects.model.types import ListType, ModelType, StrType, TokenizerType

GENERATE_OPTIONS = ("max_new", "temperature", "top_k", "top_p", "eos", "seed")
"""The keyword operands of `model.generate`, as `generate` names them."""


@irdl_op_definition
class GenerateOp(IRDLOperation):
    """Ids `[N, T]` extended by up to `max_new` tokens of a causal language model, greedy
    (temperature 0) or sampled; or, given a tokenizer and `text`, the prompt's continuation
    as text.

    model.generate %m, %ids max_new(%n : i64) : !model.model<"M">, tensor<?x?xi64>
        -> tensor<?x?xi64>
    """

    name = "model.generate"
    model = operand_def(ModelType)
    input = operand_def(base(TensorType) | base(TokenizerType))
    text = opt_operand_def(ANY)
    max_new = opt_operand_def(i64)
    temperature = opt_operand_def(f64)
    top_k = opt_operand_def(i64)
    top_p = opt_operand_def(f64)
    eos = opt_operand_def(i64)
    seed = opt_operand_def(i64)
    result = result_def(ANY)
    irdl_options = SEGMENTS
    assembly_format = host_format(["model", "input"], ["text", *GENERATE_OPTIONS])

    def verify_(self) -> None:
        texts = (StrType(), ListType(StrType()))
        if isinstance(self.input.type, TokenizerType):
            if self.text is None or self.text.type not in texts or \
                    self.result.type != self.text.type:
                raise VerifyException("model.generate: a tokenizer needs text (a string or a "
                                      "list of strings), and gives text of the same type")
            return
        ids, out = self.input.type, self.result.type
        if self.text is not None or not isinstance(ids, TensorType) or \
                not isinstance(out, TensorType) or ids.element_type != i64 or \
                out.element_type != i64:
            raise VerifyException("model.generate: ids are i64 tensors in and out, without text")


GENERATION_OPS: list[type[IRDLOperation]] = [GenerateOp]
