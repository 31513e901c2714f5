"""Run-time sizes against static ones: the same small transformer language model written
once with `shape(ids)[i]` (one compiled model for every length) and once with the
sequence length as a hyper-parameter (one compiled model per length), the same weights.

For each sequence length it times forward calls of both in paired rounds: each round
calls the two models back to back, in an order that alternates from round to round (so
that neither always runs second, in a warmer cache), after a warm-up. A round's ratio
run-time / static compares two calls under the same load, so the median of the
per-round ratios, with its interquartile range, is the figure; the medians and minima of
each model's times are printed beside it. On the CPU, torch runs on one thread (set
before any work), which other load on a shared machine disturbs far less. A median ratio
above 1.05 misses the M 0.2 budget.

Run: `python bench/dynamic_shapes.py [--backend torch|triton] [--device cpu|cuda]
[--repeats N]`.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import mlang
import torch

BATCH, VOCAB, DIM, HEADS, CTX = 8, 512, 128, 4, 256
LENGTHS = (16, 64, 128)
REPEATS = 300
WARMUP = 10

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


@dataclass(frozen=True)
class Paired:
    """Times of two calls measured in paired rounds (seconds), and the per-round ratios
    second / first."""

    first: list[float]
    second: list[float]

    @property
    def ratios(self) -> list[float]:
        """Each round's ratio of the second call's time to the first's."""
        return [b / a for a, b in zip(self.first, self.second)]


def paired_seconds(first: Callable[[], object], second: Callable[[], object], repeats: int,
                   sync: Callable[[], None]) -> Paired:
    """`repeats` rounds after WARMUP ones, each timing both calls back to back, the first
    of them alternating between rounds."""
    times: tuple[list[float], list[float]] = ([], [])
    calls = (first, second)
    for round in range(WARMUP + repeats):
        for which in ((0, 1) if round % 2 else (1, 0)):
            start = time.perf_counter()
            calls[which]()
            sync()
            if round >= WARMUP:
                times[which].append(time.perf_counter() - start)
    return Paired(*times)


def quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    """The first quartile, the median and the third quartile."""
    q1, median, q3 = statistics.quantiles(values, n=4)
    return q1, median, q3


def main() -> None:
    """Prints one row per sequence length: both times and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="torch")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=REPEATS)
    options = parser.parse_args()
    sync = torch.cuda.synchronize if options.device == "cuda" else (lambda: None)
    if options.device == "cpu":
        torch.set_num_threads(1)  # steadier times on a shared machine
        torch.set_num_interop_threads(1)
    program = mlang.compile(SOURCE, backend=options.backend, device=options.device)
    torch.manual_seed(0)
    dynamic = program.RunTimeLM(VOCAB, DIM, HEADS, CTX)
    print(f"backend {options.backend} on {options.device}, {torch.get_num_threads()} "
          f"thread(s); batch {BATCH}, dim {DIM}; {options.repeats} paired rounds")
    print(f"{'length':>6}{'static ms':>19}{'run-time ms':>19}{'ratio':>8}{'IQR':>16}"
          f"{'ratio':>8}")
    print(f"{'':>6}{'median (min)':>19}{'median (min)':>19}{'median':>8}{'q1 .. q3':>16}"
          f"{'of mins':>8}")
    for length in LENGTHS:
        static = program.StaticLM(VOCAB, DIM, HEADS, CTX, length)
        for name, tensor in static.parameters().items():
            tensor.data.copy_(dynamic.parameters()[name])
        ids = torch.randint(0, VOCAB, (BATCH, length), device=options.device)
        torch.testing.assert_close(dynamic(ids), static(ids), rtol=1e-4, atol=1e-4)
        paired = paired_seconds(partial(static, ids), partial(dynamic, ids), options.repeats,
                                sync)
        q1, ratio, q3 = quartiles(paired.ratios)
        fixed, runtime = (f"{1000 * statistics.median(t):.3f} ({1000 * min(t):.3f})"
                          for t in (paired.first, paired.second))
        least = min(paired.second) / min(paired.first)
        print(f"{length:>6}{fixed:>19}{runtime:>19}{ratio:>8.3f}{q1:>8.3f} .. {q3:<5.3f}"
              f"{least:>8.3f}")


if __name__ == "__main__":
    main()
