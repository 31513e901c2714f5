"""The families of the standard library that `pretrained` builds, one module each: the
Hugging Face architectures a family builds and how their configs become its models'
hyper-parameters. A new family is a module here and one entry below."""

from __future__ import annotations

from mlang.frontend.std_families.base import Architecture, Config, Family
from mlang.frontend.std_families.bert import BERT_ARCHITECTURES
from mlang.frontend.std_families.gpt2 import GPT2_ARCHITECTURES
from mlang.frontend.std_families.llama import LLAMA_ARCHITECTURES
from mlang.frontend.std_families.resnet import RESNET_ARCHITECTURES
from mlang.frontend.std_families.vit import VIT_ARCHITECTURES

ARCHITECTURES: dict[str, Architecture] = {
    **BERT_ARCHITECTURES,
    **GPT2_ARCHITECTURES,
    **LLAMA_ARCHITECTURES,
    **RESNET_ARCHITECTURES,
    **VIT_ARCHITECTURES,
}
"""Every Hugging Face architecture `pretrained` builds, by the name in `architectures`."""

__all__ = ["ARCHITECTURES", "Architecture", "Config", "Family"]
