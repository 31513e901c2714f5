"""std.bert's architectures: BertConfig's fields as its hyper-parameters."""

from __future__ import annotations

from mlang.frontend.std_families.base import (
    Architecture,
    Config,
    Family,
    choice_field,
    float_field,
    int_field,
    num_labels,
)
from mlang.frontend.values import StaticValue
from mlang.support.diagnostics import Loc


def bert_hparams(config: Config, loc: Loc) -> dict[str, StaticValue]:
    """BertConfig's fields as std.bert's hyper-parameters."""
    # The activation becomes a hyper-parameter once gelu(approximate="tanh") is in M.
    choice_field(config, "hidden_act", ("gelu",), loc, "bert")
    choice_field(config, "position_embedding_type", ("absolute",), loc, "bert")
    ints = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
            "intermediate_size", "max_position_embeddings", "type_vocab_size")
    out: dict[str, StaticValue] = {n: int_field(config, n, loc) for n in ints}
    out["layer_norm_eps"] = float_field(config, "layer_norm_eps", loc, 1e-12)
    out["num_labels"] = num_labels(config)
    return out


BERT = Family("bert", "bert", "BertModel", "BertForSequenceClassification", bert_hparams)

BERT_ARCHITECTURES: dict[str, Architecture] = {
    "BertModel": Architecture(BERT, "BertModel"),
    # Pre-training checkpoints (bert-base-uncased names BertForMaskedLM): their encoder
    # is a BertModel; the pre-training heads' tensors are left unused, as Hugging Face does.
    "BertForMaskedLM": Architecture(BERT, "BertModel", optional=("pooler",)),
    "BertForPreTraining": Architecture(BERT, "BertModel", optional=("pooler",)),
    "BertForSequenceClassification": Architecture(BERT, "BertForSequenceClassification",
                                                  ("classifier",)),
    "BertForTokenClassification": Architecture(BERT, "BertForTokenClassification",
                                               ("classifier",)),
    "BertForQuestionAnswering": Architecture(BERT, "BertForQuestionAnswering"),
}
"""The BERT checkpoints `pretrained` builds, by the name in `architectures`."""
