"""Pretrained-model benchmark: checkpoints that `transformers` writes, run by mlang's
`pretrained` and `generate` against `transformers` itself, in one process, on this
machine's CPU.

    (a) forward latency of a BERT-base-shaped `BertModel` (hidden 768, 12 layers, 12 heads,
        FFN 3072, sequence 128, batch 1 and 8) that `pretrained` builds from a random
        checkpoint folder, against `transformers`' `BertModel` of the same folder with
        attn_implementation="sdpa" and against `torch.compile` of that model: median of
        interleaved calls after warm-up, under `torch.no_grad()`; the ratio is against the
        strongest baseline measured (target: at most 1.0x the sdpa latency);
    (b) generation: a Llama-shaped `LlamaForCausalLM` (hidden 512, 8 layers, 8 heads, 2
        key-value heads), 64 new tokens after a 32-token prompt, greedy: tokens per second
        of mlang's `generate` (std.llama's key-value cache) against `transformers`'
        `generate` with its cache (target: 1.2x or better), and whether the tokens agree;
    (c) `pretrained` of the BERT-base-shaped folder to a ready model, in a fresh process
        (imports excluded): cold (an empty compile cache) and warm (the cache that the
        cold run filled; target under 2 s), and warm again in the same process.

Threads: one by default (`--threads`), which other load on a shared machine disturbs far
less than torch's default. Run:

    python bench/pretrained.py                      # ~5 minutes without torch.compile
    python bench/pretrained.py --no-torch-compile   # torch.compile's first call is slow
    python bench/pretrained.py --tiny               # tiny shapes: a smoke test, seconds
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

# Before torch is imported: inductor's caches go to a private folder, never a warm one.
os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="mlang-bench-inductor-")

import torch

if TYPE_CHECKING:
    from mlang.runtime.model import ModelInstance

Call = Callable[[], object]
"""What the benchmarks time: one call with its inputs bound."""


@dataclass(frozen=True)
class Shapes:
    """The sizes of the two models and of their inputs."""

    hidden: int = 768
    layers: int = 12
    heads: int = 12
    ffn: int = 3072
    seq: int = 128
    batches: tuple[int, ...] = (1, 8)
    vocab: int = 30522
    llama_hidden: int = 512
    llama_layers: int = 8
    llama_heads: int = 8
    llama_kv_heads: int = 2
    llama_ffn: int = 1376
    llama_vocab: int = 32000
    prompt: int = 32
    new: int = 64


TINY = Shapes(hidden=32, layers=2, heads=2, ffn=64, seq=16, batches=(1, 2), vocab=128,
              llama_hidden=32, llama_layers=2, llama_heads=4, llama_kv_heads=2, llama_ffn=64,
              llama_vocab=128, prompt=8, new=8)


# ------------------------------------------------------------------- checkpoints


def bert_folder(shapes: Shapes, root: Path) -> Path:
    """A random `BertModel` checkpoint that `transformers` writes (safetensors)."""
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(vocab_size=shapes.vocab, hidden_size=shapes.hidden,
                        num_hidden_layers=shapes.layers, num_attention_heads=shapes.heads,
                        intermediate_size=shapes.ffn, max_position_embeddings=512)
    folder = root / "bert"
    BertModel(config).save_pretrained(folder)
    return folder


def llama_folder(shapes: Shapes, root: Path) -> Path:
    """A random `LlamaForCausalLM` checkpoint, with no eos (so that every run makes all
    its tokens)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=shapes.llama_vocab, hidden_size=shapes.llama_hidden,
                         intermediate_size=shapes.llama_ffn,
                         num_hidden_layers=shapes.llama_layers,
                         num_attention_heads=shapes.llama_heads,
                         num_key_value_heads=shapes.llama_kv_heads,
                         max_position_embeddings=max(512, shapes.prompt + shapes.new),
                         bos_token_id=None, eos_token_id=None, pad_token_id=None)
    folder = root / "llama"
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


# ------------------------------------------------------------------------ timing


def interleaved(calls: dict[str, Call], warmup: int, runs: int) -> dict[str, float]:
    """Median seconds of each call, calls interleaved so that drift hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    with torch.no_grad():
        for call in calls.values():
            for _ in range(warmup):
                call()
        for _ in range(runs):
            for name, call in calls.items():
                start = time.perf_counter()
                call()
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


Target = tuple[str, str, bool]
"""A target's description, the measured value, and whether it is met."""


# ------------------------------------------------------------------- (a) forward


def bert_forward(folder: Path, shapes: Shapes, warmup: int, runs: int,
                 torch_compile: bool) -> list[Target]:
    """(a): std.bert's BertModel against transformers' sdpa model and its torch.compile."""
    import mlang
    from transformers import BertModel

    ours = mlang.pretrained(folder, backend="torch")._instance
    theirs = BertModel.from_pretrained(folder, attn_implementation="sdpa").eval()
    models: dict[str, Callable[..., object]] = {"sdpa": theirs}
    if torch_compile:
        models["torch.compile"] = torch.compile(theirs)
    return [bert_batch(ours, models, shapes, batch, warmup, runs) for batch in shapes.batches]


def bert_batch(ours: ModelInstance, models: dict[str, Callable[..., object]], shapes: Shapes,
               batch: int, warmup: int, runs: int) -> Target:
    """(a) at one batch size: the latency table, checked outputs, and the target."""
    from mlang.backends import RunOptions

    ids = torch.randint(0, shapes.vocab, (batch, shapes.seq),
                        generator=torch.Generator().manual_seed(batch))
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids),
              "token_type_ids": torch.zeros_like(ids)}
    options = RunOptions()

    def mlang_call() -> object:
        return ours.compiled.run("forward", ours.params, list(inputs.values()), options)[0]

    calls: dict[str, Call] = {"mlang": mlang_call}
    calls.update({name: functools.partial(model, **inputs) for name, model in models.items()})
    with torch.no_grad():
        want = models["sdpa"](**inputs).last_hidden_state
        torch.testing.assert_close(mlang_call(), want, rtol=1e-4, atol=1e-4)
    latency = interleaved(calls, warmup, runs)
    best = min(models, key=latency.__getitem__)
    print(f"\n(a) BertModel forward, hidden {shapes.hidden}, {shapes.layers} layers, "
          f"sequence {shapes.seq}, batch {batch}, median of {runs} (ms)")
    for name, seconds in latency.items():
        print(f"{name:>14} {1000 * seconds:>9.2f}   {seconds / latency['sdpa']:>5.3f}x sdpa"
              f"   {seconds / latency[best]:>5.3f}x {best}")
    ratio = latency["mlang"] / latency["sdpa"]
    return (f"batch {batch}: latency <= 1.0x transformers sdpa", f"{ratio:.3f}x", ratio <= 1.0)


# ------------------------------------------------------------------ (b) generate


def llama_generate(folder: Path, shapes: Shapes, runs: int) -> list[Target]:
    """(b): tokens per second of mlang's generate against transformers' generate."""
    import mlang
    from transformers import LlamaForCausalLM

    ours = mlang.pretrained(folder, backend="torch")
    theirs = LlamaForCausalLM.from_pretrained(folder).eval()
    prompt = torch.randint(0, shapes.llama_vocab, (1, shapes.prompt),
                           generator=torch.Generator().manual_seed(0))
    new = shapes.new

    def mlang_call() -> torch.Tensor:
        out: torch.Tensor = ours.generate(prompt, max_new=new)
        return out

    def hf_call() -> torch.Tensor:
        out: torch.Tensor = theirs.generate(prompt, max_new_tokens=new, min_new_tokens=new,
                                            do_sample=False, use_cache=True, pad_token_id=0)
        return out

    with torch.no_grad():
        same = torch.equal(mlang_call(), hf_call())
    latency = interleaved({"mlang": mlang_call, "transformers": hf_call}, 1, runs)
    rate = {name: new / seconds for name, seconds in latency.items()}
    print(f"\n(b) Llama generate, hidden {shapes.llama_hidden}, {shapes.llama_layers} layers, "
          f"{shapes.llama_heads} heads, {shapes.llama_kv_heads} key-value heads: {new} new "
          f"tokens after {shapes.prompt}, greedy, batch 1, median of {runs}")
    for name, tokens in rate.items():
        print(f"{name:>14} {tokens:>9.1f} tokens/s   {tokens / rate['transformers']:>5.3f}x "
              "transformers")
    print(f"{'':>14} same tokens as transformers: {'yes' if same else 'NO'}")
    ratio = rate["mlang"] / rate["transformers"]
    return [("generate >= 1.2x transformers' tokens/s", f"{ratio:.3f}x", ratio >= 1.2),
            ("greedy tokens equal transformers'", "yes" if same else "no", same)]


# ---------------------------------------------------------------- (c) pretrained


_LOAD_PROCESS = """
import json, sys, time
import torch
import mlang
# What the first `pretrained` would import lazily: the compiler, the backend, the runtime.
import mlang.backends.torch.backend, mlang.frontend, mlang.passes, mlang.runtime.interpreter
start = time.perf_counter()
mlang.pretrained({folder!r}, backend="torch")
first = time.perf_counter() - start
start = time.perf_counter()
mlang.pretrained({folder!r}, backend="torch")
print(json.dumps({{"first": first, "again": time.perf_counter() - start}}))
"""


def load_times(folder: Path, cache: str) -> dict[str, float]:
    """Seconds of `pretrained` in a fresh process whose compile cache is `cache`: the
    first call, and a second one in the same process."""
    env = dict(os.environ, MLANG_CACHE_DIR=cache)
    code = _LOAD_PROCESS.format(folder=str(folder))
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(out.splitlines()[-1])
    return result


def pretrained_load(folder: Path, shapes: Shapes) -> list[Target]:
    """(c): cold and warm `pretrained` of the BERT folder."""
    cache = tempfile.mkdtemp(prefix="mlang-bench-cache-")
    cold = load_times(folder, cache)
    warm = load_times(folder, cache)
    size = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
    print(f"\n(c) pretrained of the BertModel folder ({size:.0f} MiB) to a ready model, "
          "fresh process, imports excluded (s)")
    print(f"{'cold cache':>22} {cold['first']:>8.3f}")
    print(f"{'warm cache':>22} {warm['first']:>8.3f}")
    print(f"{'again, same process':>22} {warm['again']:>8.3f}")
    return [("warm pretrained < 2 s", f"{warm['first']:.3f} s", warm["first"] < 2.0)]


# -------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny shapes: a smoke test")
    parser.add_argument("--runs", type=int, default=None, help="timed repeats (median)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--no-torch-compile", action="store_true",
                        help="skip torch.compile (its first call takes minutes on a CPU)")
    parser.add_argument("--only", default="abc", help="which parts to run, e.g. 'ab'")
    args = parser.parse_args()
    shapes = TINY if args.tiny else Shapes()
    runs = args.runs or (3 if args.tiny else 10)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    root = Path(tempfile.mkdtemp(prefix="mlang-bench-pretrained-"))
    os.environ.setdefault("MLANG_CACHE_DIR", str(root / "cache"))
    targets: list[Target] = []
    bert = bert_folder(shapes, root) if set(args.only) & {"a", "c"} else None
    if "a" in args.only and bert is not None:
        targets += bert_forward(bert, shapes, 2 if args.tiny else 3, runs,
                                not args.no_torch_compile)
    if "b" in args.only:
        targets += llama_generate(llama_folder(shapes, root), shapes, runs)
    if "c" in args.only and bert is not None:
        targets += pretrained_load(bert, shapes)
    print("\ntargets")
    for what, value, met in targets:
        verdict = "n/a" if value == "nan" else "met" if met else "MISSED"
        print(f"  {what:<48} {value:>10}  {verdict}")


if __name__ == "__main__":
    main()
