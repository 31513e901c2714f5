"""Hugging Face checkpoints loaded into M programs written by hand: tiny random models
(hidden 32, two layers, fixed seed) made with `transformers` (a test dependency only),
saved with `save_pretrained`, their files loaded unchanged with `load_weights`'s `prefix`,
`rename`, `transpose` and `strict=false`, into models with `param` fields and `tie`s; the
outputs equal `transformers`' to 1e-4 on the reference and torch backends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file

from test_host_programs import BACKENDS, failure, mrun

pytestmark = pytest.mark.usefixtures("one_thread")

import transformers  # noqa: E402 - a test dependency (the dev extra), never skipped

IMAGE = "cast(reshape(arange(192), [1, 3, 8, 8]), f32) / 100.0"
IDS = "tensor([[1, 7, 3, 9, 4]])"


def pixel_values() -> torch.Tensor:
    """The image that IMAGE makes in M."""
    return (torch.arange(192).reshape(1, 3, 8, 8).float() / 100.0)


@pytest.fixture(scope="module")
def vit(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    """A tiny random ViT and its saved folder."""
    torch.manual_seed(0)
    config = transformers.ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                    intermediate_size=37, image_size=8, patch_size=4)
    model = transformers.ViTModel(config).eval()
    with torch.no_grad():  # ViT starts cls_token at zero; make the test see it
        model.embeddings.cls_token.normal_()
    folder = tmp_path_factory.mktemp("vit")
    model.save_pretrained(folder)
    return model, folder / "model.safetensors"


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    """A tiny random GPT-2 language model (lm_head tied to wte) and its saved folder."""
    torch.manual_seed(0)
    config = transformers.GPT2Config(n_embd=32, n_layer=2, n_head=2, vocab_size=50,
                                     n_positions=16)
    model = transformers.GPT2LMHeadModel(config).eval()
    folder = tmp_path_factory.mktemp("gpt2")
    model.save_pretrained(folder)
    return model, folder / "model.safetensors"


def outputs(tmp_path: Path, program: str) -> list[dict[str, np.ndarray]]:
    """What `program` writes to out.safetensors, under each backend."""
    results = []
    for backend in BACKENDS:
        mrun(tmp_path, program, backend)
        results.append(load_file(str(tmp_path / "out.safetensors")))
    return results


VIT_EMBEDDINGS = """\
model PatchEmbeddings(dim: int, patch: int) {
    projection = Conv2d(3, dim, patch, stride=patch)
    fn forward(x: f32[N, 3, H, W]) -> f32[N, P, dim] {
        return transpose(flatten(projection(x), 2), 1, 2)
    }
}
model ViTEmbeddings(dim: int, patch: int, tokens: int) {
    param cls_token: f32[1, 1, dim] = zeros([1, 1, dim])
    patch_embeddings = PatchEmbeddings(dim, patch)
    param position_embeddings: f32[1, tokens, dim] = randn([1, tokens, dim]) * 0.02
    fn forward(x: f32[N, 3, H, W]) -> f32[N, T, dim] {
        let p = patch_embeddings(x)
        return concat([p[:, 0:1, :] * 0.0 + cls_token, p], axis=1) + position_embeddings
    }
}
model ViT(dim: int, patch: int, tokens: int) {
    embeddings = ViTEmbeddings(dim, patch, tokens)
    fn forward(x: f32[N, 3, H, W]) -> f32[N, T, dim] { return embeddings(x) }
}
"""


def test_vit_param_fields_load_a_checkpoint(tmp_path: Path, vit: tuple[object, Path]) -> None:
    """ViT's raw parameters `cls_token` and `position_embeddings` as `param` fields, the
    encoder's tensors left out with strict=false (reported in one note)."""
    model, path = vit
    for got in outputs(tmp_path, VIT_EMBEDDINGS + f"""\
let m = ViT(32, 4, 5)
load_weights(m, "{path}", strict=false)
write("out.safetensors", y=m({IMAGE}))
"""):
        with torch.no_grad():
            want = model.embeddings(pixel_values()).numpy()  # type: ignore[attr-defined]
        np.testing.assert_allclose(got["y"], want, rtol=1e-4, atol=1e-5)


def test_vit_load_into_one_field(tmp_path: Path, vit: tuple[object, Path]) -> None:
    """`load_weights(net.embeddings, PATH, prefix=...)` fills one field; the rest of the
    model keeps its initialisation."""
    model, path = vit
    for got in outputs(tmp_path, VIT_EMBEDDINGS + f"""\
let m = ViT(32, 4, 5)
load_weights(m.embeddings, "{path}", prefix="embeddings.", strict=false)
write("out.safetensors", y=m({IMAGE}))
"""):
        with torch.no_grad():
            want = model.embeddings(pixel_values()).numpy()  # type: ignore[attr-defined]
        np.testing.assert_allclose(got["y"], want, rtol=1e-4, atol=1e-5)


GPT2_HEAD = """\
model Transformer(vocab: int, dim: int, positions: int) {
    wte = Embedding(vocab, dim)
    wpe = Embedding(positions, dim)
    ln_f = LayerNorm(dim)
    fn forward(ids: i64[N, 5]) -> f32[N, 5, dim] { return ln_f(wte(ids) + wpe(arange(5))) }
}
model GPT2(vocab: int, dim: int, positions: int) {
    transformer = Transformer(vocab, dim, positions)
    lm_head = Linear(dim, vocab, bias=false)
    tie lm_head.weight = transformer.wte.weight
    fn forward(ids: i64[N, 5]) -> f32[N, 5, vocab] { return lm_head(transformer(ids)) }
}
"""


def gpt2_logits_without_blocks(model: object) -> np.ndarray:
    """GPT-2's logits for IDS computed with its own modules, its blocks skipped."""
    t = model.transformer  # type: ignore[attr-defined]
    ids = torch.tensor([[1, 7, 3, 9, 4]])
    with torch.no_grad():
        hidden = t.ln_f(t.wte(ids) + t.wpe(torch.arange(5)))
        return model.lm_head(hidden).numpy()  # type: ignore[attr-defined, no-any-return]


def test_gpt2_tied_head_loads_from_wte(tmp_path: Path, gpt2: tuple[object, Path]) -> None:
    """The file has no lm_head.weight (tied to wte, as Hugging Face saves it); the tie
    fills it. The blocks' tensors are left out with strict=false."""
    model, path = gpt2
    for got in outputs(tmp_path, GPT2_HEAD + f"""\
let m = GPT2(50, 32, 16)
load_weights(m, "{path}", strict=false)
write("out.safetensors", y=m({IDS}))
print(params(m))
"""):
        np.testing.assert_allclose(got["y"], gpt2_logits_without_blocks(model), rtol=1e-4,
                                   atol=1e-5)


def test_gpt2_conv1d_transposed_with_prefix_and_rename(tmp_path: Path,
                                                       gpt2: tuple[object, Path]) -> None:
    """GPT-2's Conv1D weights are stored [in, out]: `transpose` makes them the [out, in] of
    a Linear; `prefix` and `rename` map `transformer.h.0.mlp.c_fc` to `blocks.0.fc`."""
    model, path = gpt2
    source = """\
model Mlp() {
    fc = Linear(32, 128)
    proj = Linear(128, 32)
    fn forward(x: f32[N, 32]) -> f32[N, 32] { return proj(fc(x)) }
}
model Net() {
    blocks = repeat(2, Mlp())
    fn forward(x: f32[N, 32]) -> f32[N, 32] { return blocks[1](blocks[0](x)) }
}
let m = Net()
load_weights(m, "%s", prefix="transformer.",
             rename={"h": "blocks", "mlp.c_fc": "fc", "mlp.c_proj": "proj"},
             transpose=["c_fc.weight", "c_proj.weight"], strict=false)
write("out.safetensors", y=m(reshape(cast(arange(64), f32), [2, 32]) / 64.0))
""" % path
    x = torch.arange(64).float().reshape(2, 32) / 64.0
    h = model.transformer.h  # type: ignore[attr-defined]
    with torch.no_grad():
        want = h[1].mlp.c_proj(h[1].mlp.c_fc(h[0].mlp.c_proj(h[0].mlp.c_fc(x)))).numpy()
    for got in outputs(tmp_path, source):
        np.testing.assert_allclose(got["y"], want, rtol=1e-4, atol=1e-5)


def test_mismatch_names_the_closest_on_both_sides(tmp_path: Path,
                                                  gpt2: tuple[object, Path]) -> None:
    """A field named otherwise than in the file: the error pairs each missing name with
    the nearest in the file, and each extra one with the nearest in the model."""
    _, path = gpt2
    source = GPT2_HEAD.replace("ln_f", "ln_final") + f"""\
let m = GPT2(50, 32, 16)
load_weights(m, "{path}")
"""
    out = failure(tmp_path, source, "g.m")
    assert ("g.m:14:1: error: weight 'transformer.ln_final.weight' is missing from the file "
            "(closest in the file: 'transformer.ln_f.weight')") in out
    assert ("the file has a weight 'transformer.h.0.ln_1.weight' that the model does not have "
            "(closest in the model: 'transformer.ln_final.weight')") in out


def test_wrong_transpose_name_is_a_located_error(tmp_path: Path,
                                                 gpt2: tuple[object, Path]) -> None:
    _, path = gpt2
    out = failure(tmp_path, GPT2_HEAD + f"""\
let m = GPT2(50, 32, 16)
load_weights(m, "{path}", transpose=["c_fx.weight"], strict=false)
""", "g.m")
    assert ("g.m:14:1: error: transpose names 'c_fx.weight', which no tensor of the file "
            "has; did you mean 'c_fc.weight'?") in out
