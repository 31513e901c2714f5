"""Training-step benchmark: `fit` against the plain PyTorch loop, and `fit` in 1 and 2
processes, on this machine's CPU.

    (a) steps per second of `fit` (the runtime's loop over a compiled model) against the
        plain PyTorch loop doing the same work (`nn.Module`, loss, backward, `optim.step`,
        the same shuffled batches of the same data, Adam, one thread), for the digits MLP
        64-32-10 at batch 32 and a BERT-base-shaped classifier (hidden 768, 12 heads, FFN
        3072, sequence 128, batch 8; `--depth` layers, 1 by default: a 12-layer step takes
        seconds on a laptop CPU and the per-step overhead does not grow with depth).
        Each side runs `--repeats` times, interleaved; the median is reported.
    (b) samples per second of `fit` in N = 1 and 2 processes (gloo, started by torch's
        elastic launcher as `mrun --nproc` starts them), threads pinned to one per
        process: the digits MLP at global batch 32 and 256 for `--epochs` epochs, timed
        inside each process after a warm-up epoch (start-up and compilation excluded).

Run:

    python bench/train.py            # (a) and (b)
    python bench/train.py --quick    # fewer repetitions
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn
from torch.distributed.launcher.api import LaunchConfig, elastic_launch

from mlang.backends.torch.backend import TorchBackend
from mlang.dialects.model.structure import DefOp
from mlang.frontend import compile_source
from mlang.runtime import distributed, training
from mlang.runtime.datasets import Dataset, builtin_dataset
from mlang.runtime.model import ModelInstance

MLP_SOURCE = """
model Mlp(features: int, hidden: int, classes: int) {
    fc1 = Linear(features, hidden)
    fc2 = Linear(hidden, classes)
    fn forward(x: f32[N, features]) -> f32[N, classes] {
        return fc2(relu(fc1(x)))
    }
}
"""

BERT_SOURCE = """
model Layer(dim: int, heads: int, ffn: int) {
    attn = Attention(dim, heads)
    ln1 = LayerNorm(dim)
    up = Linear(dim, ffn)
    down = Linear(ffn, dim)
    ln2 = LayerNorm(dim)
    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] {
        let h = ln1(x + attn(x))
        return ln2(h + down(gelu(up(h))))
    }
}
model Bert(vocab: int, dim: int, heads: int, ffn: int, depth: int, classes: int) {
    embed = Embedding(vocab, dim)
    layers = repeat(depth, Layer(dim, heads, ffn))
    head = Linear(dim, classes)
    fn forward(x: i64[N, T]) -> f32[N, classes] {
        let h = embed(x)
        for layer in layers {
            h = layer(h)
        }
        return head(mean(h, axis=1))
    }
}
"""

VOCAB, HIDDEN, HEADS, FFN, SEQ = 1000, 768, 12, 3072, 128


def mlang_model(source: str, name: str, args: list[int]) -> ModelInstance:
    """An instance of model `name` of `source`, compiled by the torch backend."""
    text = source + f"\nlet net = {name}({', '.join(map(str, args))})\n"
    module = compile_source(text, "bench.m")
    definition = next(op for op in module.ops
                      if isinstance(op, DefOp) and op.sym_name.data.startswith(name))
    return ModelInstance.create(definition, TorchBackend().compile(definition), "cpu")


class EagerLayer(nn.Module):
    """The eager twin of the M `Layer`."""

    def __init__(self) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(HIDDEN, HEADS, batch_first=True)
        self.ln1, self.ln2 = nn.LayerNorm(HIDDEN), nn.LayerNorm(HIDDEN)
        self.up, self.down = nn.Linear(HIDDEN, FFN), nn.Linear(FFN, HIDDEN)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Post-norm attention then feed-forward."""
        h = self.ln1(x + self.attn(x, x, x, need_weights=False)[0])
        return self.ln2(h + self.down(nn.functional.gelu(self.up(h))))


class EagerBert(nn.Module):
    """The eager twin of the M `Bert`."""

    def __init__(self, depth: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, HIDDEN)
        self.layers = nn.Sequential(*(EagerLayer() for _ in range(depth)))
        self.head = nn.Linear(HIDDEN, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Mean-pooled encoder output, classified."""
        return self.head(self.layers(self.embed(x)).mean(1))


def plain_loop(model: nn.Module, data: Dataset, batch: int, epochs: int) -> None:
    """The plain PyTorch loop: shuffled batches, forward, loss, backward, Adam step."""
    optim = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = data.x.long() if isinstance(model, EagerBert) else data.x
    for _ in range(epochs):
        order = torch.randperm(len(data))
        for start in range(0, len(data), batch):
            rows = order[start:start + batch]
            loss = nn.functional.cross_entropy(model(x[rows]), data.y[rows])
            optim.zero_grad()
            loss.backward()
            optim.step()
            loss.item()


def timed(run: Callable[[], object]) -> float:
    """Seconds that `run` takes."""
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def compare(label: str, mlang: ModelInstance, eager: nn.Module, data: Dataset, batch: int,
            epochs: int, repeats: int) -> None:
    """Prints steps per second of `fit` and of the plain loop, and their ratio."""
    steps = epochs * -(-len(data) // batch)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repeats):  # interleaved, so that other load hits both alike
        ours.append(timed(lambda: training.fit(mlang, data, epochs=epochs, batch=batch)))
        theirs.append(timed(lambda: plain_loop(eager, data, batch, epochs)))
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"{label}: fit {steps / a:8.1f} steps/s ({1e3 * a / steps:.3f} ms/step), "
          f"plain PyTorch {steps / b:8.1f} steps/s ({1e3 * b / steps:.3f} ms/step), "
          f"fit/plain time {a / b:.2f}x  [median of {repeats}]", flush=True)


def step_ratios(quick: bool, depth: int) -> None:
    """Part (a)."""
    torch.manual_seed(0)
    digits = builtin_dataset("digits")
    mlp = mlang_model(MLP_SOURCE, "Mlp", [64, 32, 10])
    eager_mlp = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    compare("digits MLP 64-32-10, batch 32", mlp, eager_mlp, digits, 32, 2 if quick else 5,
            3 if quick else 7)
    rows = 16 if quick else 32
    tokens = Dataset(torch.randint(0, VOCAB, (rows, SEQ)).float(), torch.randint(0, 2, (rows,)))
    bert = mlang_model(BERT_SOURCE, "Bert", [VOCAB, HIDDEN, HEADS, FFN, depth, 2])
    compare(f"BERT-base-shaped classifier ({depth} layer(s)), batch 8, seq 128", bert,
            EagerBert(depth), tokens, 8, 1, 3 if quick else 5)


def _worker(epochs: int, batch: int) -> float:
    """One process of part (b): seconds that `fit` takes for `epochs` epochs of digits."""
    torch.set_num_threads(1)
    distributed.setup("cpu")
    torch.manual_seed(0)
    data = builtin_dataset("digits")
    mlp = mlang_model(MLP_SOURCE, "Mlp", [64, 32, 10])
    training.fit(mlp, data, epochs=1, batch=batch)  # warm-up
    seconds = timed(lambda: training.fit(mlp, data, epochs=epochs, batch=batch))
    distributed.finish()
    return seconds


def processes(nproc: int, epochs: int, batch: int) -> float:
    """Seconds of the slowest of `nproc` processes that run `_worker` (elastic launch)."""
    config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=nproc, max_restarts=0,
                          run_id=f"bench-{os.getpid()}", rdzv_backend="c10d",
                          rdzv_endpoint="localhost:0")
    results = elastic_launch(config, _worker)(epochs, batch)
    return max(results.values())


def samples_per_second(quick: bool, epochs: int) -> None:
    """Part (b)."""
    rows = len(builtin_dataset("digits"))
    for batch in (32, 256):
        seconds: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(1 if quick else 3):
            for nproc in (1, 2):  # interleaved
                seconds[nproc].append(processes(nproc, epochs, batch))
        for nproc, runs in seconds.items():
            print(f"fit in {nproc} process(es), global batch {batch}: "
                  f"{epochs * rows / statistics.median(runs):9.0f} samples/s", flush=True)


def main() -> None:
    """Runs the benchmarks and prints their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--depth", type=int, default=1, help="encoder layers of the BERT")
    parser.add_argument("--epochs", type=int, default=10, help="epochs of part (b)")
    parser.add_argument("--skip-processes", action="store_true", help="only part (a)")
    options = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, 1 thread", flush=True)
    step_ratios(options.quick, options.depth)
    if not options.skip_processes:
        samples_per_second(options.quick, options.epochs)


if __name__ == "__main__":
    main()
