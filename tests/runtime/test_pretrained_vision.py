"""`pretrained(PATH)` of std.vit and std.resnet, and `pretrained(PATH, dtype=)`: tiny
random checkpoints (fixed seeds) written by `transformers` (a test dependency only) in
temporary folders, compared with `transformers` to 1e-4 on the reference and torch
backends (ResNet with trained-looking batch-norm statistics, in evaluation); `labels=K`;
half precision within the documented tolerances; `summary` and `params` counts; config
errors located at the call."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from safetensors import safe_open
from safetensors.torch import load_file
from test_host_programs import BACKENDS, failure, mrun

import mlang
from mlang.runtime.precision import TOLERANCE
from mlang.tools.mrun import main

pytestmark = pytest.mark.usefixtures("one_thread")

import transformers  # noqa: E402 - a test dependency (the dev extra), never skipped

PIXELS = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(2))


def tiny_vit(kind: str) -> torch.nn.Module:
    """A tiny random ViT of class `kind` (seed 0; a non-zero [CLS] token), in evaluation."""
    config = transformers.ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                    intermediate_size=37, image_size=32, patch_size=8,
                                    num_labels=3)
    torch.manual_seed(0)
    model: torch.nn.Module = getattr(transformers, kind)(config).eval()
    with torch.no_grad():
        model.get_submodule("vit.embeddings" if kind != "ViTModel" else "embeddings") \
            .cls_token.normal_()
    return model


def tiny_resnet(kind: str, layer_type: str, downsample: bool = False) -> torch.nn.Module:
    """A tiny random ResNet (three stages of depths 1, 2, 1) whose batch norms have
    trained-looking weights and running statistics, in evaluation."""
    config = transformers.ResNetConfig(num_channels=3, embedding_size=8, hidden_sizes=[8, 16, 24],
                                       depths=[1, 2, 1], layer_type=layer_type, num_labels=5,
                                       downsample_in_first_stage=downsample,
                                       downsample_in_bottleneck=downsample)
    torch.manual_seed(0)
    model: torch.nn.Module = getattr(transformers, kind)(config).eval()
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith(("running_mean", "normalization.bias")):
                t.copy_(torch.randn(t.shape, generator=generator) * 0.5)
            elif name.endswith(("running_var", "normalization.weight")):
                t.copy_(torch.rand(t.shape, generator=generator) + 0.5)
    return model


def expected(model: torch.nn.Module) -> torch.Tensor:
    """What `transformers` computes for PIXELS: logits, or the last hidden state."""
    with torch.no_grad():
        out = model(pixel_values=PIXELS)
    return out.logits if hasattr(out, "logits") else out.last_hidden_state


def saved(model: torch.nn.Module, folder: Path) -> Path:
    """`model` written with `save_pretrained` into `folder`."""
    model.save_pretrained(folder)  # type: ignore[operator]
    return folder


BUFFERS = ("running_mean", "running_var", "num_batches_tracked")


def file_parameters(folder: Path) -> set[str]:
    """The names of the trainable tensors of the folder's model.safetensors."""
    with safe_open(str(folder / "model.safetensors"), "pt") as f:
        return {n for n in f.keys() if not n.endswith(BUFFERS)}  # noqa: SIM118 - no __iter__


CASES = {
    "ViTModel": lambda: tiny_vit("ViTModel"),
    "ViTForImageClassification": lambda: tiny_vit("ViTForImageClassification"),
    "ResNetModel": lambda: tiny_resnet("ResNetModel", "basic"),
    "ResNetForImageClassification-basic":
        lambda: tiny_resnet("ResNetForImageClassification", "basic"),
    "ResNetForImageClassification-bottleneck":
        lambda: tiny_resnet("ResNetForImageClassification", "bottleneck"),
    "ResNetForImageClassification-downsampling":
        lambda: tiny_resnet("ResNetForImageClassification", "bottleneck", downsample=True),
}


@pytest.mark.parametrize("case", CASES)
def test_checkpoint_equals_transformers(tmp_path: Path, case: str) -> None:
    """The file loads (strictly: every tensor, buffers included, named as the model's), and
    the outputs equal transformers'."""
    hf = CASES[case]()
    folder = saved(hf, tmp_path / "ckpt")
    want = expected(hf)
    for backend in BACKENDS:
        model = mlang.pretrained(folder, backend=backend)
        assert set(model.parameters()) == file_parameters(folder)
        torch.testing.assert_close(model(PIXELS), want, rtol=1e-4, atol=1e-4)


def test_vit_pooled_output(tmp_path: Path) -> None:
    """ViTModel's `pooled` is Hugging Face's pooler_output."""
    hf = tiny_vit("ViTModel")
    model = mlang.pretrained(saved(hf, tmp_path / "vit"), backend="torch")
    with torch.no_grad():
        want = hf(pixel_values=PIXELS).pooler_output
    torch.testing.assert_close(model.pooled(PIXELS), want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kind", ["ViTModel", "ResNetModel", "ResNetForImageClassification"])
def test_labels_make_a_new_head(tmp_path: Path, kind: str) -> None:
    """`labels=K`: a base checkpoint becomes the family's classifier, a classifier's head
    is made anew for K classes; the new tensors are named in one note."""
    hf = tiny_vit(kind) if kind.startswith("ViT") else tiny_resnet(kind, "basic")
    folder = saved(hf, tmp_path / "ckpt")
    out = mrun(tmp_path, f'let m = pretrained("{folder}", labels=4)\n'
                         f"print(shape(m(randn([2, 3, 32, 32]))))\n", "torch")
    assert out.strip() == "[2, 4]"


def test_summary_counts_equal_transformers(tmp_path: Path) -> None:
    """`summary` lists the layers (batch norms and raw parameters included) and
    `params` counts as transformers' num_parameters()."""
    for name, hf, row in (
            ("vit", tiny_vit("ViTForImageClassification"),
             "vit.embeddings.cls_token Parameter [1, 1, 32] f32 32"),
            ("resnet", tiny_resnet("ResNetForImageClassification", "bottleneck"),
             "resnet.embedder.embedder.normalization BatchNorm2d [?, 8, ?, ?] f32 16")):
        folder = saved(hf, tmp_path / name)
        out = mrun(tmp_path, f'let m = pretrained("{folder}")\nsummary(m)\nprint(params(m))\n',
                   "torch")
        lines = [" ".join(line.split()) for line in out.strip().splitlines()]
        count = hf.num_parameters()  # type: ignore[operator]
        assert lines[-1] == str(count) and row in lines
        assert sum(int(line.split()[-1]) for line in lines[1:-2]) == count


# ------------------------------------------------------------------------------ dtype


def relative_error(got: torch.Tensor, want: torch.Tensor) -> float:
    """The largest difference relative to the largest magnitude of `want`."""
    return float((got - want).abs().max() / want.abs().max())


@pytest.mark.parametrize("dtype", ["bf16", "f16"])
def test_dtype_runs_in_half_precision(tmp_path: Path, dtype: str) -> None:
    """The weights are stored in the half dtype, the results come back as f32 within the
    documented tolerance of f32."""
    for name, hf in (("vit", tiny_vit("ViTForImageClassification")),
                     ("resnet", tiny_resnet("ResNetForImageClassification", "bottleneck"))):
        folder = saved(hf, tmp_path / name)
        want = expected(hf)
        for backend in BACKENDS:
            model = mlang.pretrained(folder, backend=backend, dtype=dtype)
            weights = model.parameters()
            assert weights["classifier.weight" if name == "vit" else "classifier.1.weight"] \
                .dtype == {"bf16": torch.bfloat16, "f16": torch.float16}[dtype]
            got = model(PIXELS)
            assert got.dtype == torch.float32
            assert relative_error(got, want) <= TOLERANCE[dtype], (name, backend)


def test_bf16_checkpoint_with_either_dtype(tmp_path: Path) -> None:
    """A bf16 checkpoint loads as f32 (its values exactly) and as bf16."""
    hf = tiny_vit("ViTForImageClassification").to(torch.bfloat16)
    folder = saved(hf, tmp_path / "bf16")
    want = expected(hf.float())
    exact = mlang.pretrained(folder, backend="torch", dtype="f32")
    torch.testing.assert_close(exact(PIXELS), want, rtol=1e-4, atol=1e-4)
    half = mlang.pretrained(folder, backend="torch", dtype="bf16")
    assert relative_error(half(PIXELS), want) <= TOLERANCE["bf16"]


def test_dtype_overrides_the_program_precision(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Under `mrun --dtype bf16`, `dtype=f32` keeps that model in f32 (transformers'
    numbers) while a model without `dtype=` runs in bf16."""
    hf = tiny_vit("ViTForImageClassification")
    folder = saved(hf, tmp_path / "vit")
    (tmp_path / "p.m").write_text(
        f'let exact = pretrained("{folder}", dtype=f32)\nlet half = pretrained("{folder}")\n'
        'let x = randn([2, 3, 32, 32])\n'
        'write("out.safetensors", x=x, exact=exact(x), half=half(x))\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["--dtype", "bf16", "--backend", "torch", "p.m"])
    assert result.exit_code == 0, result.output
    out = load_file(str(tmp_path / "out.safetensors"))
    with torch.no_grad():
        want = hf(pixel_values=out["x"]).logits
    torch.testing.assert_close(out["exact"], want, rtol=1e-4, atol=1e-4)
    assert 0 < relative_error(out["half"], want) <= TOLERANCE["bf16"]


# ----------------------------------------------------------------------------- errors


def config_edited(folder: Path, tmp_path: Path, name: str, **changes: object) -> Path:
    """A copy of `folder` whose config.json has these fields changed."""
    copy = tmp_path / name
    shutil.copytree(folder, copy)
    config = json.loads((copy / "config.json").read_text())
    config.update(changes)
    (copy / "config.json").write_text(json.dumps(config))
    return copy


def test_config_errors_are_located(tmp_path: Path) -> None:
    """An activation, layer type or pooler the std models lack, inconsistent stages and a
    dtype other than f32, bf16 and f16: errors at the call, exit 1."""
    vit = saved(tiny_vit("ViTModel"), tmp_path / "vit")
    resnet = saved(tiny_resnet("ResNetModel", "basic"), tmp_path / "resnet")
    cases = [
        (config_edited(vit, tmp_path, "a", hidden_act="relu"),
         "std.vit implements hidden_act 'gelu', not 'relu'"),
        (config_edited(vit, tmp_path, "b", patch_size=5),
         "image_size 32 is not a multiple of patch_size 5"),
        (config_edited(resnet, tmp_path, "c", hidden_act="gelu"),
         "std.resnet implements hidden_act 'relu', not 'gelu'"),
        (config_edited(resnet, tmp_path, "d", layer_type="preactivation"),
         "std.resnet implements layer_type 'basic' or 'bottleneck', not 'preactivation'"),
        (config_edited(resnet, tmp_path, "e", depths=[1, 2]),
         "'depths' has 2 stages but 'hidden_sizes' 3"),
        (config_edited(resnet, tmp_path, "f", depths="1,2,1"),
         "'depths' must be a non-empty list of positive ints, got '1,2,1'"),
    ]
    for folder, message in cases:
        out = failure(tmp_path, f'let m = pretrained("{folder}")\n', "p.m")
        assert f"p.m:1:20: error: config.json: {message}" in out, out
    out = failure(tmp_path, f'let m = pretrained("{resnet}", dtype=f64)\n', "p.m")
    column = len(f'let m = pretrained("{resnet}", ') + 1
    assert f"p.m:1:{column}: error: pretrained: dtype must be f32, bf16 or f16, got" in out
