"""A tiny GPT-2 written by hand in M (`gpt2_tiny.m`) against Hugging Face's
`GPT2LMHeadModel` (transformers, test only): the unchanged `model.safetensors` that
`save_pretrained` writes loads through `tie` (the file has no `lm_head`) and
`load_weights(..., transpose=[...])` (Conv1D weights are [in, out]); the logits agree to
1e-4, and greedy decoding in a host loop that grows `ids` by one token per step through
one model instance, its code generated once, equals `transformers`' `generate`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
import transformers  # a test dependency (the dev extra), never skipped
from click.testing import CliRunner
from mlang.tools.mrun import main as mrun_main
from safetensors.torch import load_file

SOURCE = Path(__file__).with_name("gpt2_tiny.m")
PROMPT = [[1, 2, 3], [4, 5, 6]]
NEW_TOKENS = 8
# Seed 2 with weights of standard deviation 0.5: the greedy continuation varies (at 0.02
# the tiny model repeats the prompt's last token).
CONFIG = {"vocab_size": 100, "n_positions": 32, "n_embd": 32, "n_layer": 2, "n_head": 4,
          "initializer_range": 0.5, "bos_token_id": None, "eos_token_id": None,
          "pad_token_id": None}

PROGRAM = """\
import "{source}"
let m = GPT2LMHeadModel(100, 32, 32, 2, 4)
load_weights(m, "{weights}", transpose=["c_attn.weight", "c_proj.weight", "c_fc.weight"])
let ids = tensor({prompt})
write("logits.safetensors", logits=m(ids))
for i in 0..{new} {{
    let next = argmax(m(ids)[:, -1], axis=-1)
    ids = concat([ids, reshape(next, [2, 1])], axis=1)
}}
print(ids)
"""


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, torch.nn.Module]:
    """A saved tiny random GPT2LMHeadModel, in evaluation mode."""
    torch.manual_seed(2)
    hf = transformers.GPT2LMHeadModel(transformers.GPT2Config(**CONFIG)).eval()
    folder = tmp_path_factory.mktemp("gpt2")
    hf.save_pretrained(folder)
    return folder / "model.safetensors", hf


def run(folder: Path, program: str, backend: str) -> str:
    """Runs `program` in `folder` with `mrun --backend BACKEND`; its standard output."""
    (folder / "gpt2.m").write_text(program)
    old = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(mrun_main, ["--backend", backend, "gpt2.m"])
    finally:
        os.chdir(old)
    assert result.exit_code == 0, (result.output, result.exc_info)
    return result.stdout


@pytest.mark.parametrize("backend", ["reference", "torch", "triton"])
def test_hand_written_gpt2_equals_transformers(checkpoint: tuple[Path, torch.nn.Module],
                                              backend: str, tmp_path: Path,
                                              generated_code: list[str]) -> None:
    weights, hf = checkpoint
    program = PROGRAM.format(source=SOURCE, weights=weights, prompt=PROMPT, new=NEW_TOKENS)
    printed = run(tmp_path, program, backend)
    ids = torch.tensor(PROMPT)
    with torch.no_grad():
        want = hf(ids).logits
        greedy = hf.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                             max_new_tokens=NEW_TOKENS)
    got = load_file(tmp_path / "logits.safetensors")["logits"]
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
    rows = [[int(t) for t in line.strip(" []").split()] for line in printed.splitlines()]
    assert rows == greedy.tolist()
    assert len(set(greedy[0, 3:].tolist())) > 2  # a varied continuation, not one token
    # One model instance for every length: its code is generated once (the reference
    # backend generates none).
    assert len(generated_code) == (0 if backend == "reference" else 1)
