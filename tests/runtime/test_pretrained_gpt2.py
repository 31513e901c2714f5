"""`pretrained(PATH)` and `import std.gpt2`: tiny random GPT-2 checkpoints (n_embd 32, two
layers, fixed seed) written by `transformers` (a test dependency only), loaded by
three-line M programs and compared with `transformers` to 1e-4; the hub's layout (a
GPT2LMHeadModel whose file has GPT2Model's names and old mask buffers); the key-value
cache methods `prefill` and `decode` against `forward` and, in an M host loop, greedy
decoding with them against `generate`, one compiled model for every step; and the
located errors of configs that std.gpt2 does not implement."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import mlang
import numpy as np
import pytest
import torch
import transformers  # a test dependency (the dev extra), never skipped
from safetensors.numpy import load_file
from safetensors.torch import save_file
from test_host_programs import failure, mrun

pytestmark = pytest.mark.usefixtures("one_thread")

MODELS = ("GPT2Model", "GPT2LMHeadModel")
IDS = [[5, 17, 3, 42, 8, 23], [61, 2, 99, 14, 30, 7]]


def tiny_gpt2(kind: str, **config: object) -> torch.nn.Module:
    """A tiny random model of class `kind` (seed 3: greedy decoding of IDS's first three
    tokens varies, not one token repeated), in evaluation mode."""
    torch.manual_seed(3)
    settings: dict[str, object] = {
        "vocab_size": 100, "n_positions": 16, "n_embd": 32, "n_layer": 2, "n_head": 4,
        "n_inner": 48, "initializer_range": 0.2, "bos_token_id": None,
        "eos_token_id": None}
    settings.update(config)
    model: torch.nn.Module = getattr(transformers, kind)(
        transformers.GPT2Config(**settings)).eval()
    return model


def reference(model: torch.nn.Module) -> np.ndarray:
    """What `transformers` computes for IDS: the logits, or the last hidden state."""
    with torch.no_grad():
        out = model(input_ids=torch.tensor(IDS))
    main = out.logits if hasattr(out, "logits") else out.last_hidden_state
    result: np.ndarray = main.numpy()
    return result


def program(folder: Path) -> str:
    """Three lines: load the checkpoint, run it on IDS, write what it returns."""
    return (f'let m = pretrained("{folder}")\nlet y = m(tensor({IDS}))\n'
            'write("out.safetensors", y=y)\n')


def check_output(tmp_path: Path, folder: Path, want: np.ndarray, backend: str) -> None:
    """Runs the three lines under `backend`; what they write equals `want` to 1e-4."""
    mrun(tmp_path, program(folder), backend)
    got = load_file(str(tmp_path / "out.safetensors"))["y"]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A saved folder per model class."""
    root = tmp_path_factory.mktemp("gpt2")
    folders = {}
    for kind in MODELS:
        tiny_gpt2(kind).save_pretrained(root / kind)
        folders[kind] = root / kind
    return folders


@pytest.mark.parametrize("backend", ["reference", "torch"])
@pytest.mark.parametrize("kind", MODELS)
def test_each_gpt2_model_matches_transformers(tmp_path: Path, checkpoints: dict[str, Path],
                                              kind: str, backend: str) -> None:
    """A program of three lines runs the folder `transformers` wrote, as it computes."""
    check_output(tmp_path, checkpoints[kind], reference(tiny_gpt2(kind)), backend)


def test_gpt2_lm_head_on_the_triton_backend(tmp_path: Path,
                                            checkpoints: dict[str, Path]) -> None:
    """The same under the Triton backend (the interpreter on a machine without a GPU)."""
    kind = "GPT2LMHeadModel"
    check_output(tmp_path, checkpoints[kind], reference(tiny_gpt2(kind)), "triton")


def test_the_hubs_layout_loads_into_the_language_model(tmp_path: Path,
                                                       checkpoints: dict[str, Path]) -> None:
    """The hub's `gpt2` names GPT2LMHeadModel but its file has GPT2Model's names (no
    `transformer.`) and the causal-mask buffers older versions saved: the names gain the
    base prefix, the buffers are ignored and `lm_head` is `wte`, as in `transformers`."""
    folder = tmp_path / "hub-layout"
    shutil.copytree(checkpoints["GPT2Model"], folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config,
                                                    "architectures": ["GPT2LMHeadModel"]}))
    state = {n: t.contiguous() for n, t in tiny_gpt2("GPT2Model").state_dict().items()}
    for layer in range(2):
        state[f"h.{layer}.attn.bias"] = torch.tril(torch.ones(1, 1, 16, 16))
        state[f"h.{layer}.attn.masked_bias"] = torch.tensor(-1e4)
    save_file(state, str(folder / "model.safetensors"))
    want = transformers.GPT2LMHeadModel.from_pretrained(folder).eval()
    check_output(tmp_path, folder, reference(want), "torch")


@pytest.mark.parametrize("backend", ["reference", "torch", "triton"])
def test_prefill_and_decode_give_forwards_logits(checkpoints: dict[str, Path], backend: str,
                                                 generated_code: list[str]) -> None:
    """`prefill` of 3 tokens (the last one's logits), then `decode` of one token a step,
    give the logits of `forward` on the whole sequence from position 2 (and of `transformers`), the cache growing by one
    position a step; one compiled model serves every step."""
    model = mlang.pretrained(checkpoints["GPT2LMHeadModel"], backend=backend)
    made = len(generated_code)
    ids = torch.tensor(IDS)
    whole = model(ids)
    torch.testing.assert_close(whole, torch.from_numpy(reference(tiny_gpt2("GPT2LMHeadModel"))),
                               rtol=1e-4, atol=1e-4)
    logits, keys, values = model.prefill(ids[:, :3])
    assert keys.shape == values.shape == (2, 2, 4, 3, 8)  # [n_layer, N, n_head, P, D]
    steps = [logits]
    for p in range(3, ids.shape[1]):
        positions = torch.full((2, 1), p)
        logits, keys, values = model.decode(ids[:, p:p + 1], positions, keys, values)
        assert keys.shape == values.shape == (2, 2, 4, p + 1, 8)
        steps.append(logits)
    torch.testing.assert_close(torch.cat(steps, dim=1), whole[:, 2:], rtol=1e-4, atol=1e-4)
    assert len(generated_code) == made == (0 if backend == "reference" else 1)


GREEDY = """\
let m = pretrained("{folder}")
let ids = tensor({prompt})
let (logits, keys, values) = m.prefill(ids)
let next = reshape(argmax(logits[:, -1], axis=-1), [2, 1])
ids = concat([ids, next], axis=1)
for p in 3..{end} {{
    let (step, k, v) = m.decode(next, cast(ones([2, 1]) * p, i64), keys, values)
    keys = k
    values = v
    next = reshape(argmax(step[:, -1], axis=-1), [2, 1])
    ids = concat([ids, next], axis=1)
}}
print(ids)
"""


@pytest.mark.parametrize("backend", ["reference", "torch"])
def test_greedy_decoding_with_the_cache_in_a_host_loop(tmp_path: Path, backend: str,
                                                       checkpoints: dict[str, Path],
                                                       generated_code: list[str]) -> None:
    """An M program decodes greedily with `prefill` and `decode` (the cache passed back
    each step, growing): the tokens of `transformers`' `generate(do_sample=False)`, from
    one model whose code is generated once."""
    prompt = torch.tensor(IDS)[:, :3]
    source = GREEDY.format(folder=checkpoints["GPT2LMHeadModel"], prompt=prompt.tolist(),
                           end=3 + 7)
    printed = mrun(tmp_path, source, backend)
    rows = [[int(t) for t in line.strip(" []").split()] for line in printed.splitlines()]
    with torch.no_grad():
        want = tiny_gpt2("GPT2LMHeadModel").generate(
            prompt, attention_mask=torch.ones_like(prompt), do_sample=False, max_new_tokens=8)
    assert rows == want.tolist()
    assert len(set(want[0, 3:].tolist())) > 2  # a varied continuation, not one token
    assert len(generated_code) == (0 if backend == "reference" else 1)


def config_edited(folder: Path, tmp_path: Path, **changes: object) -> Path:
    """A copy of `folder` whose config.json has these fields changed."""
    copy = tmp_path / "config-edited"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(folder, copy)
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, **changes}))
    return copy


@pytest.mark.parametrize(("changes", "message"), [
    ({"activation_function": "relu"},
     ("config.json: std.gpt2 implements activation_function 'gelu_new' or "
      "'gelu_pytorch_tanh', not 'relu'")),
    ({"tie_word_embeddings": "no"},
     "config.json: 'tie_word_embeddings' must be true or false, got 'no'"),
    ({"n_head": 5}, "config.json: n_embd 32 is not a multiple of n_head 5"),
    ({"n_inner": "wide"}, "config.json: 'n_inner' must be an int, got 'wide'"),
])
def test_a_config_std_gpt2_does_not_implement_is_a_located_error(
        tmp_path: Path, checkpoints: dict[str, Path], changes: dict[str, object],
        message: str) -> None:
    folder = config_edited(checkpoints["GPT2LMHeadModel"], tmp_path, **changes)
    out = failure(tmp_path, f'let m = pretrained("{folder}")\n', "p.m")
    assert f"p.m:1:20: error: {message}" in out


def test_an_untied_head_loads_its_own_weights(tmp_path: Path) -> None:
    """tie_word_embeddings false: lm_head is a tensor of the file, not wte."""
    model = tiny_gpt2("GPT2LMHeadModel", tie_word_embeddings=False)
    with torch.no_grad():
        model.lm_head.weight.normal_()  # unlike wte, so that a tie would show
    model.save_pretrained(tmp_path / "untied")
    check_output(tmp_path, tmp_path / "untied", reference(model), "reference")


def test_labels_on_gpt2_is_a_located_error(tmp_path: Path,
                                           checkpoints: dict[str, Path]) -> None:
    """std.gpt2 has no sequence classifier: `labels=` names the model that does not."""
    out = failure(tmp_path, f'let m = pretrained("{checkpoints["GPT2Model"]}", labels=2)\n',
                  "p.m")
    assert "p.m:1:9: error: pretrained: labels= gives a classification model a new head; " \
           "GPT2Model does not classify" in out
