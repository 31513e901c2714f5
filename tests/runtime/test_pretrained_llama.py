"""`pretrained(PATH)` and `import std.llama` for the Llama family: tiny random Llama,
Mistral and Qwen2 checkpoints with grouped-query heads (hidden 32, two layers, fixed
seed), written by `transformers` (a test dependency only), loaded by three-line M
programs and compared with `transformers` to 1e-4; the key-value cache methods (prefill
once, then decode a token at a time) against forward over the whole sequence, through
one compiled model; every config error located."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file
from test_host_programs import BACKENDS, failure, mrun

pytestmark = pytest.mark.usefixtures("one_thread")

import transformers  # noqa: E402 - a test dependency (the dev extra), never skipped

IDS = [[2, 7, 3, 9, 4, 11], [5, 11, 6, 1, 8, 30]]
SIZES = {"vocab_size": 100, "hidden_size": 32, "intermediate_size": 64,
         "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
         "max_position_embeddings": 64}
# Each family's differences: Mistral with a head size other than hidden / heads, Qwen2
# with its q/k/v biases and the head tied to the embeddings, Llama with another theta.
FAMILIES: dict[str, tuple[type, dict[str, object]]] = {
    "Llama": (transformers.LlamaConfig, {"rope_theta": 500.0, "rms_norm_eps": 1e-5}),
    "Mistral": (transformers.MistralConfig, {"head_dim": 16, "sliding_window": None}),
    "Qwen2": (transformers.Qwen2Config, {"tie_word_embeddings": True}),
}
KINDS = [f"{family}{kind}" for family in FAMILIES for kind in ("Model", "ForCausalLM")]


def tiny(kind: str, **config: object) -> transformers.PreTrainedModel:
    """A tiny random model of class `kind` (seed 0), in evaluation mode."""
    make, settings = FAMILIES[kind.removesuffix("Model").removesuffix("ForCausalLM")]
    torch.manual_seed(0)
    model: transformers.PreTrainedModel = getattr(transformers, kind)(
        make(**{**SIZES, **settings, **config})).eval()
    if "tie_word_embeddings" not in settings:
        assert not model.config.tie_word_embeddings
    return model


def reference(model: torch.nn.Module) -> np.ndarray:
    """What `transformers` computes for IDS: the last hidden state or the logits."""
    with torch.no_grad():
        out = model(input_ids=torch.tensor(IDS))
    main = out.last_hidden_state if hasattr(out, "last_hidden_state") else out.logits
    return np.asarray(main.numpy())


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A saved folder per model class."""
    root = tmp_path_factory.mktemp("llama")
    for kind in KINDS:
        tiny(kind).save_pretrained(root / kind)
    return {kind: root / kind for kind in KINDS}


def run(tmp_path: Path, folder: Path, backend: str) -> np.ndarray:
    """Three lines: load the checkpoint, run it on IDS, write what it returns."""
    mrun(tmp_path, f'let m = pretrained("{folder}")\nlet y = m(tensor({IDS}))\n'
                   'write("out.safetensors", y=y)\n', backend)
    return load_file(str(tmp_path / "out.safetensors"))["y"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_model_matches_transformers(tmp_path: Path, checkpoints: dict[str, Path],
                                         kind: str) -> None:
    want = reference(tiny(kind))
    for backend in BACKENDS:
        np.testing.assert_allclose(run(tmp_path, checkpoints[kind], backend), want,
                                   rtol=1e-4, atol=1e-4)


def test_llama_for_causal_lm_on_the_triton_backend(tmp_path: Path,
                                                   checkpoints: dict[str, Path]) -> None:
    """The same under the Triton backend (the interpreter on a machine without a GPU)."""
    want = reference(tiny("LlamaForCausalLM"))
    got = run(tmp_path, checkpoints["LlamaForCausalLM"], "triton")
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


# Greedy decoding with the cache: prefill the prompt, then decode a token at a time
# (positions 4, 5, ...), the cache growing by one position a step; the logits of every
# step joined (prefill gives the last prompt position's) equal forward's from position 3.
CACHED = """\
let m = pretrained("FOLDER")
let ids = tensor([[1, 2, 3, 4], [9, 8, 7, 6]])
let (logits, keys, values) = m.prefill(ids)
let next = reshape(argmax(logits[:, -1], axis=-1), [2, 1])
let position = tensor([[4], [4]])
for i in 0..4 {
    ids = concat([ids, next], axis=1)
    let (step, k, v) = m.decode(next, position, keys, values)
    logits = concat([logits, step], axis=1)
    keys = k
    values = v
    position = position + 1
    next = reshape(argmax(step[:, -1], axis=-1), [2, 1])
}
write("out.safetensors", cached=logits, full=m(ids), keys=keys, ids=ids)
"""


@pytest.mark.parametrize("backend", ["reference", "torch", "triton"])
def test_prefill_and_decode_equal_forward_with_code_generated_once(
        tmp_path: Path, checkpoints: dict[str, Path], backend: str,
        generated_code: list[str]) -> None:
    folder = checkpoints["Qwen2ForCausalLM"]  # biases, a tied head, grouped-query heads
    mrun(tmp_path, CACHED.replace("FOLDER", str(folder)), backend)
    out = load_file(str(tmp_path / "out.safetensors"))
    assert out["keys"].shape == (2, 2, 2, 8, 8)  # [layers, N, kv heads, positions, head]
    assert out["cached"].shape == (2, 5, 100)  # the last prompt position, then 4 steps
    np.testing.assert_allclose(out["cached"], out["full"][:, 3:], rtol=1e-4, atol=1e-4)
    with torch.no_grad():
        want = tiny("Qwen2ForCausalLM")(input_ids=torch.tensor(out["ids"])).logits
    np.testing.assert_allclose(out["cached"], want.numpy()[:, 3:], rtol=1e-4, atol=1e-4)
    assert len(generated_code) == (0 if backend == "reference" else 1)  # every step, one code


def write_config(tmp_path: Path, source: Path, **changes: object) -> Path:
    """A copy of a checkpoint folder's config.json with `changes` (no weights needed)."""
    folder = tmp_path / "changed"
    folder.mkdir(exist_ok=True)
    config = json.loads((source / "config.json").read_text())
    config.update(changes)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.mark.parametrize(("kind", "changes", "message"), [
    ("LlamaForCausalLM", {"hidden_act": "gelu"},
     "std.llama implements hidden_act 'silu', not 'gelu'"),
    ("LlamaForCausalLM", {"rope_parameters": {"rope_type": "linear", "factor": 2.0}},
     "std.llama implements plain rotary embeddings"),
    ("LlamaForCausalLM", {"rope_scaling": {"type": "dynamic", "factor": 2.0}},
     "std.llama implements plain rotary embeddings"),
    ("MistralForCausalLM", {"sliding_window": 16},
     "does not implement mistral's sliding attention window (sliding_window 16 < "
     "max_position_embeddings 64)"),
    ("Qwen2ForCausalLM", {"layer_types": ["sliding_attention", "full_attention"]},
     "std.llama implements full attention in every layer"),
    ("LlamaModel", {"num_key_value_heads": 3},
     "num_attention_heads (4) must be a positive multiple of num_key_value_heads (3)"),
    ("LlamaModel", {"tie_word_embeddings": "yes"},
     "'tie_word_embeddings' must be a boolean"),
])
def test_config_errors_are_located(tmp_path: Path, checkpoints: dict[str, Path], kind: str,
                                   changes: dict[str, object], message: str) -> None:
    folder = write_config(tmp_path, checkpoints[kind], **changes)
    out = failure(tmp_path, f'let m = pretrained("{folder}")\n', "p.m")
    assert "p.m:1:" in out and message in out, out


def test_labels_on_a_llama_is_an_error(tmp_path: Path, checkpoints: dict[str, Path]) -> None:
    out = failure(tmp_path, f'let m = pretrained("{checkpoints["LlamaModel"]}", labels=2)\n',
                  "p.m")
    assert "p.m:1:" in out and "LlamaModel does not classify" in out, out


def test_a_longer_sliding_window_is_accepted(tmp_path: Path,
                                            checkpoints: dict[str, Path]) -> None:
    """A window that covers every position never takes effect: the model runs."""
    folder = checkpoints["MistralModel"]
    config = json.loads((folder / "config.json").read_text())
    config["sliding_window"] = config["max_position_embeddings"]
    (folder / "config.json").write_text(json.dumps(config))
    np.testing.assert_allclose(run(tmp_path, folder, "torch"), reference(tiny("MistralModel")),
                               rtol=1e-4, atol=1e-4)
