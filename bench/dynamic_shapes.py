"""Run-time sizes against static ones: the same small transformer language model written
once with `shape(ids)[i]` (one compiled model for every length) and once with the
sequence length as a hyper-parameter (one compiled model per length), the same weights.

For each sequence length it times a forward call of each (the least time of REPEATS
rounds that call both, after a warm-up: the least disturbed by other processes) and prints the ratio run-time / static; a ratio above 1.05
misses the M 0.2 budget.

Run: `python bench/dynamic_shapes.py [--backend torch|triton] [--device cpu|cuda]`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from functools import partial

import mlang
import torch

BATCH, VOCAB, DIM, HEADS, CTX = 8, 512, 128, 4, 256
LENGTHS = (16, 64, 128)
REPEATS = 50

FIELDS = """
    wte = Embedding(vocab, dim)
    param wpe: f32[ctx, dim] = zeros([ctx, dim])
    ln = LayerNorm(dim)
    qkv = Linear(dim, 3 * dim)
    proj = Linear(dim, dim)
    up = Linear(dim, 4 * dim)
    down = Linear(4 * dim, dim)
    head = Linear(dim, vocab)
"""
BODY = """
        let h = wte(ids) + wpe[:t]
        let qkv3 = reshape(qkv(ln(h)), [n, t, 3, heads, dim / heads])
        let q = transpose(qkv3[:, :, 0], 1, 2)
        let k = transpose(qkv3[:, :, 1], 1, 2)
        let v = transpose(qkv3[:, :, 2], 1, 2)
        let a = softmax(q @ transpose(k, 2, 3) / sqrt(dim / heads), axis=-1) @ v
        let h2 = h + proj(reshape(transpose(a, 1, 2), [n, t, dim]))
        return head(h2 + down(gelu(up(ln(h2)))))
"""
SOURCE = f"""
model RunTimeLM(vocab: int, dim: int, heads: int, ctx: int) {{{FIELDS}
    fn forward(ids: i64[N, T]) -> f32[N, T, vocab] {{
        let n = shape(ids)[0]
        let t = shape(ids)[1]{BODY}    }}
}}

model StaticLM(vocab: int, dim: int, heads: int, ctx: int, t: int) {{{FIELDS}
    fn forward(ids: i64[N, t]) -> f32[N, t, vocab] {{
        let n = -1{BODY}    }}
}}
"""


def seconds(calls: Sequence[Callable[[], object]], sync: Callable[[], None]) -> list[float]:
    """The least time of each of `calls` over REPEATS rounds after three warm-up ones;
    a round runs each call once, so that both see the same load on a shared machine."""
    times: list[list[float]] = [[] for _ in calls]
    for round in range(3 + REPEATS):
        for call, spent in zip(calls, times):
            start = time.perf_counter()
            call()
            sync()
            if round >= 3:
                spent.append(time.perf_counter() - start)
    return [min(spent) for spent in times]


def main() -> None:
    """Prints one row per sequence length: both times and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="torch")
    parser.add_argument("--device", default="cpu")
    options = parser.parse_args()
    sync = torch.cuda.synchronize if options.device == "cuda" else (lambda: None)
    if options.device == "cpu":
        torch.set_num_threads(1)  # steadier times on a shared machine
    program = mlang.compile(SOURCE, backend=options.backend, device=options.device)
    torch.manual_seed(0)
    dynamic = program.RunTimeLM(VOCAB, DIM, HEADS, CTX)
    print(f"backend {options.backend} on {options.device}; batch {BATCH}, dim {DIM}, "
          f"least of {REPEATS}")
    print(f"{'length':>8}{'static ms':>12}{'run-time ms':>14}{'ratio':>8}")
    for length in LENGTHS:
        static = program.StaticLM(VOCAB, DIM, HEADS, CTX, length)
        for name, tensor in static.parameters().items():
            tensor.data.copy_(dynamic.parameters()[name])
        ids = torch.randint(0, VOCAB, (BATCH, length), device=options.device)
        torch.testing.assert_close(dynamic(ids), static(ids), rtol=1e-4, atol=1e-4)
        fixed, runtime = seconds([partial(static, ids), partial(dynamic, ids)], sync)
        print(f"{length:>8}{1000 * fixed:>12.3f}{1000 * runtime:>14.3f}{runtime / fixed:>8.3f}")


if __name__ == "__main__":
    main()
