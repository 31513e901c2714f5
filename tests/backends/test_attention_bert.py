"""A two-layer BERT written in M with `attention(..., mask=)` equals `transformers`'
`BertModel` (eager attention) on a padded batch, to 1e-4, on every backend: the weights
are copied into the M model's parameters by name."""

from __future__ import annotations

import pytest
import torch

import mlang

SOURCE = """
model Layer() {
    q = Linear(32, 32)
    k = Linear(32, 32)
    v = Linear(32, 32)
    out = Linear(32, 32)
    ln1 = LayerNorm(32)
    up = Linear(32, 64)
    down = Linear(64, 32)
    ln2 = LayerNorm(32)

    fn split(x: f32[2, 5, 32]) -> f32[2, 4, 5, 8] {
        return permute(reshape(x, [2, 5, 4, 8]), [0, 2, 1, 3])
    }

    fn forward(x: f32[2, 5, 32], m: bool[2, 1, 1, 5]) -> f32[2, 5, 32] {
        let a = attention(split(q(x)), split(k(x)), split(v(x)), mask=m)
        let h = ln1(x + out(reshape(permute(a, [0, 2, 1, 3]), [2, 5, 32])))
        return ln2(h + down(gelu(up(h))))
    }
}

model Bert() {
    word = Embedding(50, 32)
    position = Embedding(16, 32)
    token_type = Embedding(2, 32)
    ln = LayerNorm(32)
    layers = repeat(2, Layer())

    fn forward(ids: i64[2, 5], m: bool[2, 1, 1, 5]) -> f32[2, 5, 32] {
        let h = ln(word(ids) + position(arange(5)) + token_type(ids * 0))
        for layer in layers {
            h = layer(h, m)
        }
        return h
    }
}
"""

NAMES = {
    "embeddings.word_embeddings": "word", "embeddings.position_embeddings": "position",
    "embeddings.token_type_embeddings": "token_type", "embeddings.LayerNorm": "ln",
    "attention.self.query": "q", "attention.self.key": "k", "attention.self.value": "v",
    "attention.output.dense": "out", "attention.output.LayerNorm": "ln1",
    "intermediate.dense": "up", "output.dense": "down", "output.LayerNorm": "ln2",
}
"""`BertModel` module paths -> the M model's fields."""


def m_name(hf: str) -> str:
    """The M parameter name of a `BertModel` parameter."""
    module, leaf = hf.rsplit(".", 1)
    if module.startswith("encoder.layer."):
        _, _, index, rest = module.split(".", 3)
        return f"layers.{index}.{NAMES[rest]}.{leaf}"
    return f"{NAMES[module]}.{leaf}"


@pytest.mark.parametrize("backend", ["reference", "torch", "triton"])
def test_padded_bert_matches_transformers(backend: str) -> None:
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=4, intermediate_size=64,
                        max_position_embeddings=16, layer_norm_eps=1e-5,
                        attn_implementation="eager")
    bert = BertModel(config, add_pooling_layer=False).eval()
    model = mlang.compile(SOURCE, backend=backend).Bert()
    params = model.parameters()
    with torch.no_grad():
        for name, value in bert.named_parameters():
            params[m_name(name)].copy_(value)
    ids = torch.randint(0, 50, (2, 5))
    keep = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    with torch.no_grad():
        expected = bert(input_ids=ids, attention_mask=keep).last_hidden_state
    actual = model(ids, keep.bool()[:, None, None, :])
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-4)
