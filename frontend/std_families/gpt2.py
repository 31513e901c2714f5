"""std.gpt2's architectures: GPT2Config's fields as its hyper-parameters."""

from __future__ import annotations

import json

from mlang.frontend.std_families.base import (
    Architecture,
    Config,
    Family,
    bool_field,
    choice_field,
    float_field,
    int_field,
)
from mlang.frontend.values import StaticValue
from mlang.support.diagnostics import CompileError, Loc

# GPT-2's "gelu_new" and PyTorch's tanh GELU are one function, gelu(approximate="tanh").
_TANH_GELU = ("gelu_new", "gelu_pytorch_tanh")

# Settings std.gpt2 implements one way of, and that way (also what an absent one means).
_FIXED = (("scale_attn_weights", True),
          ("scale_attn_by_inverse_layer_idx", False), ("reorder_and_upcast_attn", False),
          ("add_cross_attention", False))


def gpt2_hparams(config: Config, loc: Loc) -> dict[str, StaticValue]:
    """GPT2Config's fields as std.gpt2's hyper-parameters."""
    choice_field(config, "activation_function", _TANH_GELU, loc, "gpt2")
    for name, implemented in _FIXED:
        fixed_field(config, name, implemented, loc)
    ints = ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head")
    sizes = {n: int_field(config, n, loc) for n in ints}
    if sizes["n_embd"] % sizes["n_head"]:
        raise CompileError(loc, f"config.json: n_embd {sizes['n_embd']} is not a multiple "
                                f"of n_head {sizes['n_head']}")
    # n_inner: null (Hugging Face's default) is 4 * n_embd.
    sizes["n_inner"] = (4 * sizes["n_embd"] if config.get("n_inner") is None
                        else int_field(config, "n_inner", loc))
    out: dict[str, StaticValue] = dict(sizes)
    out["layer_norm_epsilon"] = float_field(config, "layer_norm_epsilon", loc, 1e-5)
    out["tie_word_embeddings"] = bool_field(config, "tie_word_embeddings", loc, True)
    return out


def fixed_field(config: Config, name: str, implemented: bool, loc: Loc) -> None:
    """Checks a boolean setting of the config that std.gpt2 implements one way of."""
    value = config.get(name, implemented)
    if value is not implemented:
        raise CompileError(loc, f"config.json: std.gpt2 implements {name} "
                                f"{json.dumps(implemented)}, not {json.dumps(value)}")


# GPT-2 has no classifier in the standard library (empty): `labels=` is an error.
GPT2 = Family("gpt2", "transformer", "GPT2Model", "", gpt2_hparams)

GPT2_ARCHITECTURES: dict[str, Architecture] = {
    "GPT2Model": Architecture(GPT2, "GPT2Model"),
    "GPT2LMHeadModel": Architecture(GPT2, "GPT2LMHeadModel"),
}
"""The GPT-2 checkpoints `pretrained` builds, by the name in `architectures`."""
