"""`generate` (M-LANGUAGE-0.2 section 7) on tiny causal language models written in M: the
key-value cache gives what forward alone gives and what a plain loop of argmax gives,
sampling follows Hugging Face's warpers and is reproducible with a seed, eos stops and
pads, text goes in and out through a tokenizer, and every mistake is a located error."""

from __future__ import annotations

from pathlib import Path

import mlang
import pytest
import torch
from mlang.runtime import model as runtime_model
from mlang.runtime.generation import (
    Chooser, GenerateOptions, encode_prompts, generate_text, warp,
)
from mlang.runtime.text import tokenize, train_tokenizer
from mlang.support.diagnostics import UserError
from test_host_programs import failure, mrun
from transformers import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

pytestmark = pytest.mark.usefixtures("one_thread")

LAYERS = """
    wte = Embedding(vocab, dim)
    wpe = Embedding(ctx, dim)
    q = Linear(dim, dim)
    k = Linear(dim, dim)
    v = Linear(dim, dim)
    o = Linear(dim, vocab)

    fn split(x: f32[N, T, dim]) -> f32[N, heads, T, ?] {
        return transpose(reshape(x, [shape(x)[0], shape(x)[1], heads, dim / heads]), 1, 2)
    }
    fn out(h: f32[N, T, dim], mixed: f32[N, heads, T, ?]) -> f32[N, T, vocab] {
        let merged = reshape(transpose(mixed, 1, 2), [shape(h)[0], shape(h)[1], dim])
        return o(tanh(h + merged))
    }
    fn prefill(ids: i64[N, T]) -> (f32[N, T, vocab], f32[N, heads, T, ?], f32[N, heads, T, ?]) {
        let h = wte(ids) + wpe(arange(shape(ids)[1]))
        let keys = split(k(h))
        let values = split(v(h))
        return (out(h, attention(split(q(h)), keys, values, causal=true)), keys, values)
    }
"""
DECODE = """
    fn decode(ids: i64[N, 1], position_ids: i64[N, 1], keys: f32[N, heads, P, ?],
              values: f32[N, heads, P, ?]) -> (f32[N, 1, vocab], f32[N, heads, ?, ?],
                                                f32[N, heads, ?, ?]) {
        let h = wte(ids) + wpe(position_ids)
        let all_keys = concat([keys, split(k(h))], axis=2)
        let all_values = concat([values, split(v(h))], axis=2)
        return (out(h, attention(split(q(h)), all_keys, all_values)), all_keys, all_values)
    }
"""
FORWARD = """
    fn forward(ids: i64[N, T]) -> f32[N, T, vocab] {
        let (logits, keys, values) = prefill(ids)
        return logits
    }
"""
CACHED = f"model CachedLM(vocab: int, dim: int, heads: int, ctx: int) {{{LAYERS}{FORWARD}" \
         f"{DECODE}}}\n"
"""A one-layer causal LM with a key-value cache (keys and values, [N, heads, P, D])."""
PLAIN = f"model PlainLM(vocab: int, dim: int, heads: int, ctx: int) {{{LAYERS}{FORWARD}}}\n"
"""The same model without decode: forward on the whole sequence each step."""
MAKE = "seed(0)\nlet net = CachedLM(16, 8, 2, 64)\nlet ids = tensor([[1, 2, 3], [4, 5, 6]])\n"
BACKENDS = ("reference", "torch", "triton")
PROMPT = torch.tensor([[1, 2, 3], [4, 5, 6]])


def models(backend: str) -> tuple[mlang.Model, mlang.Model]:
    """The cached model, and the plain one with the same weights."""
    torch.manual_seed(0)
    cached = mlang.compile(CACHED, backend=backend).CachedLM(16, 8, 2, 64)
    plain = mlang.compile(PLAIN, backend=backend).PlainLM(16, 8, 2, 64)
    for name, tensor in plain.parameters().items():
        tensor.data.copy_(cached.parameters()[name])
    return cached, plain


def argmax_loop(net: mlang.Model, ids: torch.Tensor, steps: int) -> torch.Tensor:
    """Greedy decoding written as the plain loop: forward on everything, argmax of the last."""
    for _ in range(steps):
        logits = net(ids)
        ids = torch.cat([ids, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    return ids


@pytest.mark.parametrize("backend", BACKENDS)
def test_cached_greedy_equals_forward_alone_and_the_argmax_loop(backend: str) -> None:
    cached, plain = models(backend)
    out = cached.generate(PROMPT, max_new=12)
    assert out.shape == (2, 15) and torch.equal(out[:, :3], PROMPT)
    assert len(set(out[:, 3:].flatten().tolist())) > 3  # a varied continuation
    assert torch.equal(out, plain.generate(PROMPT, max_new=12))
    assert torch.equal(out, argmax_loop(plain, PROMPT, 12))
    assert torch.equal(cached.generate(PROMPT, max_new=0), PROMPT)


def test_the_step_model_is_compiled_once_and_checked_once(
        generated_code: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    generated = generated_code
    net = mlang.compile(CACHED, backend="torch").CachedLM(16, 8, 2, 64)
    made = len(generated)
    assert made == 1
    checks: list[str] = []
    real_check = runtime_model.check_inputs
    monkeypatch.setattr(runtime_model, "check_inputs",
                        lambda m, method, args: checks.append(method) or
                        real_check(m, method, args))
    net.generate(PROMPT, max_new=10)
    assert len(generated) == made
    assert checks == ["prefill", "decode"]  # not once per step


def test_numpy_in_numpy_out() -> None:
    cached, _ = models("torch")
    out = cached.generate(PROMPT.numpy(), max_new=4)
    assert out.shape == (2, 7) and (out == cached.generate(PROMPT, max_new=4).numpy()).all()


# ---------------------------------------------------------------------- sampling


@pytest.mark.parametrize("temperature,top_k,top_p", [
    (1.0, 0, 1.0), (0.7, 5, 1.0), (1.3, 0, 0.8), (0.9, 10, 0.5), (2.0, 1, 0.3), (1.0, 100, 0.05),
])
def test_warping_equals_transformers(temperature: float, top_k: int, top_p: float) -> None:
    logits = torch.randn(4, 50, generator=torch.Generator().manual_seed(7))
    expected = TemperatureLogitsWarper(temperature)(None, logits)
    if top_k:
        expected = TopKLogitsWarper(top_k)(None, expected)
    if top_p < 1:
        expected = TopPLogitsWarper(top_p)(None, expected)
    options = GenerateOptions(temperature=temperature, top_k=top_k, top_p=top_p, seed=3)
    assert torch.equal(warp(logits, options), expected)
    # The seed's generator draws as torch.manual_seed(seed) then multinomial would.
    torch.manual_seed(3)
    drawn = torch.multinomial(torch.softmax(expected, -1), 1).squeeze(1)
    assert torch.equal(Chooser(options, torch.device("cpu"))(logits), drawn)


def test_sampling_is_reproducible_and_top_k_1_is_greedy() -> None:
    cached, _ = models("torch")
    sample = {"max_new": 10, "temperature": 1.5}
    first = cached.generate(PROMPT, seed=5, **sample)
    assert torch.equal(first, cached.generate(PROMPT, seed=5, **sample))
    assert not torch.equal(first, cached.generate(PROMPT, seed=6, **sample))
    greedy = cached.generate(PROMPT, max_new=10)
    assert torch.equal(cached.generate(PROMPT, top_k=1, seed=1, **sample), greedy)
    assert torch.equal(cached.generate(PROMPT, top_p=1e-6, seed=1, **sample), greedy)


def test_top_k_only_picks_among_the_k_largest() -> None:
    cached, plain = models("torch")
    out = cached.generate(PROMPT, max_new=12, temperature=5.0, top_k=3, seed=0)
    for step in range(3, out.shape[1]):
        allowed = plain(out[:, :step])[:, -1].topk(3).indices
        assert (allowed == out[:, step:step + 1]).any(dim=1).all()


# ---------------------------------------------------------------------------- eos


def eos_reference(greedy: torch.Tensor, eos: int, prompt: int) -> torch.Tensor:
    """What Hugging Face makes with pad = eos: each row padded after its first eos, cut
    where every row has finished."""
    out = greedy.clone()
    end = greedy.shape[1]
    finished_at = []
    for row in out:
        hits = (row[prompt:] == eos).nonzero()
        if len(hits):
            first = prompt + int(hits[0])
            row[first:] = eos
            finished_at.append(first + 1)
        else:
            finished_at.append(end)
    return out[:, :max(finished_at)]


def test_eos_pads_finished_rows_and_stops_when_all_are() -> None:
    cached, _ = models("torch")
    greedy = cached.generate(PROMPT, max_new=12)
    eos = int(greedy[0, 5])  # row 0's third new token
    out = cached.generate(PROMPT, max_new=12, eos=eos)
    assert torch.equal(out, eos_reference(greedy, eos, 3))
    assert (out[0, 5:] == eos).all()
    one = cached.generate(PROMPT[:1], max_new=12, eos=int(greedy[0, 3]))
    assert torch.equal(one, greedy[:1, :4])  # finished on its first token


# --------------------------------------------------------------------------- text

CORPUS = ["the quick brown fox jumps over the lazy dog", "a lazy dog sleeps all day",
          "the fox is quick and brown", "dogs and foxes are animals"] * 3


@pytest.fixture(scope="module")
def tok_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trained WordPiece tokenizer.json (about 80 tokens)."""
    path = tmp_path_factory.mktemp("tok") / "tokenizer.json"
    train_tokenizer(CORPUS, vocab=80).save(str(path))
    return path


def test_text_in_and_out_and_the_tokenizer_keeps_its_padding(tok_file: Path) -> None:
    tok = train_tokenizer(CORPUS, vocab=80)
    vocab = tok.get_vocab_size()
    torch.manual_seed(0)
    net = mlang.compile(CACHED).CachedLM(vocab, 8, 2, 64)
    tokenize(tok, ["the fox"], max_len=6)  # sets padding and truncation on the tokenizer
    padding, truncation = tok.padding, tok.truncation
    text = generate_text(net._instance, tok, "the quick fox", GenerateOptions(max_new=5))
    assert tok.padding == padding and tok.truncation == truncation
    ids = encode_prompts(tok, ["the quick fox"])
    assert ids.shape == (1, 5)  # [CLS] the quick fox [SEP], unpadded
    expected = tok.decode(net.generate(ids, max_new=5)[0].tolist(), skip_special_tokens=True)
    assert text == expected and text.startswith("the quick fox")
    both = generate_text(net._instance, tok, ["the quick fox", "a lazy dog"],
                         GenerateOptions(max_new=5))
    assert isinstance(both, list) and both[0] == text and both[1].startswith("a lazy dog")


def test_text_from_a_program(tmp_path: Path, tok_file: Path) -> None:
    vocab = train_tokenizer(CORPUS, vocab=80).get_vocab_size()
    out = mrun(tmp_path, CACHED + f"""\
seed(0)
let tok = tokenizer("{tok_file}")
let net = CachedLM({vocab}, 8, 2, 64)
print(generate(net, tok, "the quick fox", max_new=3))
let texts = generate(net, tok, ["the quick fox", "a lazy dog"], max_new=3, temperature=0.8,
                     seed=1)
print(len(texts), texts[1])
""", "torch")
    first, second = out.splitlines()
    assert first.startswith("the quick fox") and second.startswith("2 a lazy dog")


# ------------------------------------------------------------------------- errors


def test_option_checks_in_python() -> None:
    for options in (GenerateOptions(max_new=-1), GenerateOptions(top_p=0.0),
                    GenerateOptions(top_p=1.5), GenerateOptions(temperature=-0.5),
                    GenerateOptions(top_k=-2), GenerateOptions(eos=-1)):
        with pytest.raises(UserError):
            options.check()
    cached, _ = models("torch")
    with pytest.raises(mlang.MError, match="prompt ids i64"):
        cached.generate(torch.zeros(2, 0, dtype=torch.int64))
    with pytest.raises(mlang.MError, match="eos 99 is not a token"):
        cached.generate(PROMPT, eos=99)


CLASSIFIER = "model Clf(d: int) {\n    fc = Linear(d, 3)\n" \
             "    fn forward(x: f32[N, d]) -> f32[N, 3] { return fc(x) }\n}\n"
FLAT = "model Flat(vocab: int) {\n    wte = Embedding(vocab, 4)\n" \
       "    fn forward(ids: i64[N, T]) -> f32[N, T] { return sum(wte(ids), axis=-1) }\n}\n"
ERRORS = {
    "max_new=-1": (MAKE + "print(generate(net, ids, max_new=-1))\n", "max_new must be >= 0"),
    "top_p=0": (MAKE + "print(generate(net, ids, top_p=0))\n", "top_p must be in (0, 1]"),
    "top_p=1.5": (MAKE + "print(generate(net, ids, top_p=1.5))\n", "top_p must be in (0, 1]"),
    "temperature": (MAKE + "print(generate(net, ids, temperature=-1.0))\n",
                    "temperature must be >= 0"),
    "top_k": (MAKE + "print(generate(net, ids, top_k=-3))\n", "top_k must be >= 0"),
    "top_k float": (MAKE + "print(generate(net, ids, top_k=2.5))\n", "top_k must be an int"),
    "eos": (MAKE + "print(generate(net, ids, eos=-1))\n", "eos must be >= 0"),
    "run-time max_new": (MAKE + "print(generate(net, ids, max_new=len(ids) - 5))\n",
                         "generate: max_new must be >= 0, got -3"),
    "eos out of range": (MAKE + "print(generate(net, ids, eos=16))\n",
                         "eos 16 is not a token of this model's 16"),
    "float ids": (MAKE + "print(generate(net, ones([2, 3])))\n", "prompt ids i64[N, T]"),
    "positional option": (MAKE + "print(generate(net, ids, 5))\n", "options by name"),
    "no prompt": (MAKE + "let tok = train_tokenizer([\"a b\"], vocab=10)\n"
                  "print(generate(net, tok))\n", "needs the prompt"),
    "number prompt": (MAKE + "let tok = train_tokenizer([\"a b\"], vocab=10)\n"
                      "print(generate(net, tok, 3))\n", "a string or a list of strings"),
    "unequal prompts": (MAKE + "let tok = train_tokenizer([\"a b c\"], vocab=10)\n"
                        "print(generate(net, tok, [\"a\", \"a b\"]))\n",
                        "prompts of one length in tokens; these have 3, 4"),
}
MODEL_ERRORS = {
    "classifier": (CLASSIFIER + "let net = Clf(4)\nprint(generate(net, tensor([[1, 2]])))\n",
                   "generate needs a causal language model"),
    "rank-2 logits": (FLAT + "let net = Flat(8)\nprint(generate(net, tensor([[1, 2]])))\n",
                      "Flat.forward returns f32[N, T]"),
    "prefill without decode": (CACHED.replace("fn decode", "fn decode_") +
                               MAKE + "print(generate(net, ids))\n",
                               "CachedLM has prefill but not decode"),
    "a cache that changes": (CACHED.replace("all_keys, all_values)\n",
                                            "all_keys, sum(all_values, axis=3))\n")
                             .replace("f32[N, heads, ?, ?]) {", "f32[N, heads, ?]) {") +
                             MAKE + "print(generate(net, ids))\n",
                             "CachedLM.decode must return its cache as it takes it"),
}


@pytest.mark.parametrize("case", [*ERRORS, *MODEL_ERRORS])
def test_errors_are_located(tmp_path: Path, case: str) -> None:
    program, message = ERRORS.get(case) or MODEL_ERRORS[case]
    if case in ERRORS:
        program = CACHED + program
    out = failure(tmp_path, program, "gen.m", "torch")
    line = next(i for i, text in enumerate(program.splitlines(), 1) if "generate(" in text)
    assert f"gen.m:{line}:" in out and "error:" in out and message in out, out
