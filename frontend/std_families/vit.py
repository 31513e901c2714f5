"""std.vit's architectures: ViTConfig's fields as its hyper-parameters."""

from __future__ import annotations

from mlang.frontend.std_families.base import (
    Architecture,
    Config,
    Family,
    bool_field,
    choice_field,
    float_field,
    int_field,
    num_labels,
)
from mlang.frontend.values import StaticValue
from mlang.support.diagnostics import CompileError, Loc


def vit_hparams(config: Config, loc: Loc) -> dict[str, StaticValue]:
    """ViTConfig's fields as std.vit's hyper-parameters."""
    choice_field(config, "hidden_act", ("gelu",), loc, "vit")
    choice_field(config, "pooler_act", ("tanh",), loc, "vit")
    ints = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
            "image_size", "patch_size", "num_channels")
    sizes = {n: int_field(config, n, loc) for n in ints}
    if sizes["image_size"] % sizes["patch_size"]:
        raise CompileError(loc, f"config.json: image_size {sizes['image_size']} is not a "
                                f"multiple of patch_size {sizes['patch_size']}")
    pooler = config.get("pooler_output_size", sizes["hidden_size"])
    if pooler not in (None, sizes["hidden_size"]):
        raise CompileError(loc, f"config.json: std.vit implements pooler_output_size equal "
                                f"to hidden_size ({sizes['hidden_size']}), not {pooler!r}")
    out: dict[str, StaticValue] = dict(sizes)
    out["layer_norm_eps"] = float_field(config, "layer_norm_eps", loc, 1e-12)
    out["qkv_bias"] = bool_field(config, "qkv_bias", loc, True)
    out["num_labels"] = num_labels(config)
    return out


VIT = Family("vit", "vit", "ViTModel", "ViTForImageClassification", vit_hparams)

VIT_ARCHITECTURES: dict[str, Architecture] = {
    "ViTModel": Architecture(VIT, "ViTModel"),
    "ViTForImageClassification": Architecture(VIT, "ViTForImageClassification",
                                              ("classifier",)),
}
"""The ViT checkpoints `pretrained` builds, by the name in `architectures`."""
