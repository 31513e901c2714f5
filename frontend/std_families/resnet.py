"""std.resnet's architectures: ResNetConfig's fields as its hyper-parameters."""

from __future__ import annotations

from mlang.frontend.std_families.base import (
    Architecture,
    Config,
    Family,
    bool_field,
    choice_field,
    int_field,
    num_labels,
)
from mlang.frontend.values import StaticValue
from mlang.support.diagnostics import CompileError, Loc


def int_list_field(config: Config, name: str, loc: Loc) -> tuple[int, ...]:
    """A non-empty list of positive integers of the config (one item a stage)."""
    value = config.get(name)
    if not (isinstance(value, list) and value and all(
            isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in value)):
        raise CompileError(loc, f"config.json: '{name}' must be a non-empty list of positive "
                                f"ints, got {value!r}")
    return tuple(value)


def resnet_hparams(config: Config, loc: Loc) -> dict[str, StaticValue]:
    """ResNetConfig's fields as std.resnet's hyper-parameters."""
    choice_field(config, "hidden_act", ("relu",), loc, "resnet")
    choice_field(config, "layer_type", ("basic", "bottleneck"), loc, "resnet")
    depths, hidden_sizes = (int_list_field(config, n, loc) for n in ("depths", "hidden_sizes"))
    if len(depths) != len(hidden_sizes):
        raise CompileError(loc, f"config.json: 'depths' has {len(depths)} stages but "
                                f"'hidden_sizes' {len(hidden_sizes)}")
    bottleneck = config.get("layer_type") == "bottleneck"
    if bottleneck and any(size % 4 for size in hidden_sizes):
        raise CompileError(loc, f"config.json: a bottleneck layer narrows to a quarter of "
                                f"its width; hidden_sizes {list(hidden_sizes)} must be "
                                "multiples of 4")
    return {
        "num_channels": int_field(config, "num_channels", loc),
        "embedding_size": int_field(config, "embedding_size", loc),
        "hidden_sizes": hidden_sizes,
        "depths": depths,
        "bottleneck": bottleneck,
        "downsample_in_first_stage": bool_field(config, "downsample_in_first_stage", loc,
                                                False),
        "downsample_in_bottleneck": bool_field(config, "downsample_in_bottleneck", loc, False),
        "num_labels": num_labels(config),
    }


RESNET = Family("resnet", "resnet", "ResNetModel", "ResNetForImageClassification",
                resnet_hparams)

RESNET_ARCHITECTURES: dict[str, Architecture] = {
    "ResNetModel": Architecture(RESNET, "ResNetModel"),
    "ResNetForImageClassification": Architecture(RESNET, "ResNetForImageClassification",
                                                 ("classifier",)),
}
"""The ResNet checkpoints `pretrained` builds, by the name in `architectures`."""
