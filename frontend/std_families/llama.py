"""std.llama's architectures: Llama, Mistral and Qwen2 checkpoints, one decoder in M whose
hyper-parameters are LlamaConfig's fields; the three configs differ in which projections
have biases and in the sliding attention window, which std.llama does not implement."""

from __future__ import annotations

from collections.abc import Callable

from mlang.frontend.std_families.base import (
    Architecture,
    Config,
    Family,
    choice_field,
    float_field,
    int_field,
)
from mlang.frontend.values import StaticValue
from mlang.support.diagnostics import CompileError, Loc

Biases = Callable[[Config, Loc], tuple[bool, bool, bool]]
"""A family's biases, from its config: on q/k/v, on o_proj, in the MLP."""


def bool_field(config: Config, name: str, loc: Loc, default: bool) -> bool:
    """A boolean field of the config, `default` where it is absent."""
    value = config.get(name, default)
    if not isinstance(value, bool):
        raise CompileError(loc, f"config.json: '{name}' must be a boolean, got {value!r}")
    return value


def llama_biases(config: Config, loc: Loc) -> tuple[bool, bool, bool]:
    """Llama: `attention_bias` on all four attention projections, `mlp_bias` in the MLP."""
    attention = bool_field(config, "attention_bias", loc, False)
    return attention, attention, bool_field(config, "mlp_bias", loc, False)


def qwen2_biases(config: Config, loc: Loc) -> tuple[bool, bool, bool]:
    """Qwen2: biases on the query, key and value projections only."""
    return True, False, False


def no_biases(config: Config, loc: Loc) -> tuple[bool, bool, bool]:
    """Mistral: no biases."""
    return False, False, False


def check_supported(config: Config, loc: Loc, family: str) -> None:
    """Refuses what std.llama does not implement: another activation, a sliding window
    shorter than the context."""
    choice_field(config, "hidden_act", ("silu",), loc, "llama")
    layer_types = config.get("layer_types")
    if isinstance(layer_types, list) and any(t != "full_attention" for t in layer_types):
        raise CompileError(loc, f"config.json: std.llama implements full attention in every "
                                f"layer, not layer_types {layer_types!r}")
    window = config.get("sliding_window")
    uses_window = family == "mistral" or config.get("use_sliding_window") is True
    context = config.get("max_position_embeddings")
    if uses_window and isinstance(window, int) and isinstance(context, int) \
            and window < context:
        raise CompileError(loc, f"config.json: std.llama does not implement {family}'s "
                                f"sliding attention window (sliding_window {window} < "
                                f"max_position_embeddings {context}); set it to null or "
                                "to max_position_embeddings to attend to every position")


def rope_theta(config: Config, loc: Loc) -> float:
    """The rotary embeddings' base, `rope_parameters.rope_theta` (transformers 5) or
    `rope_theta`; a scaled variant (another `rope_type`, a `rope_scaling`) is refused."""
    params = config.get("rope_parameters")
    kind = params.get("rope_type", "default") if isinstance(params, dict) else "default"
    scaling = config.get("rope_scaling")
    if kind != "default" or scaling is not None:
        shown = params if kind != "default" else scaling
        raise CompileError(loc, f"config.json: std.llama implements plain rotary embeddings "
                                f"(rope_type 'default', rope_scaling null), not {shown!r}")
    if isinstance(params, dict) and "rope_theta" in params:
        return float_field(params, "rope_theta", loc, 10000.0)
    return float_field(config, "rope_theta", loc, 10000.0)


def hparams_for(family: str, biases: Biases) -> Callable[[Config, Loc],
                                                         dict[str, StaticValue]]:
    """How a config of `family` (LlamaConfig, MistralConfig, Qwen2Config) becomes
    std.llama's hyper-parameters."""
    def hparams(config: Config, loc: Loc) -> dict[str, StaticValue]:
        check_supported(config, loc, family)
        ints = ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                "num_attention_heads")
        out: dict[str, StaticValue] = {n: int_field(config, n, loc) for n in ints}
        heads, hidden = (int_field(config, n, loc) for n in ("num_attention_heads",
                                                            "hidden_size"))
        kv = heads if config.get("num_key_value_heads") is None else int_field(
            config, "num_key_value_heads", loc)
        if heads < 1 or kv < 1 or heads % kv:
            raise CompileError(loc, f"config.json: num_attention_heads ({heads}) must be a "
                                    f"positive multiple of num_key_value_heads ({kv})")
        out["num_key_value_heads"] = kv
        out["head_dim"] = hidden // heads if config.get("head_dim") is None \
            else int_field(config, "head_dim", loc)
        out["rms_norm_eps"] = float_field(config, "rms_norm_eps", loc, 1e-6)
        out["rope_theta"] = rope_theta(config, loc)
        qkv, o, mlp = biases(config, loc)
        out.update(attention_bias=qkv, o_proj_bias=o, mlp_bias=mlp)
        out["tie_word_embeddings"] = bool_field(config, "tie_word_embeddings", loc, False)
        return out
    return hparams


LLAMA = Family("llama", "model", "LlamaModel", "", hparams_for("llama", llama_biases))
MISTRAL = Family("llama", "model", "LlamaModel", "", hparams_for("mistral", no_biases))
QWEN2 = Family("llama", "model", "LlamaModel", "", hparams_for("qwen2", qwen2_biases))

LLAMA_ARCHITECTURES: dict[str, Architecture] = {
    f"{prefix}{kind}": Architecture(family, f"Llama{kind}")
    for prefix, family in (("Llama", LLAMA), ("Mistral", MISTRAL), ("Qwen2", QWEN2))
    for kind in ("Model", "ForCausalLM")
}
"""The Llama, Mistral and Qwen2 checkpoints `pretrained` builds, by the name in
`architectures`; they have no sequence classifier here, so `labels=` is refused."""
