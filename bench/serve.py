"""Serving benchmark: `mrun serve` with batching, `mrun serve --max-batch 1`, and the
baseline a user would write by hand (an ASGI endpoint that calls the same model in
PyTorch once per request), under a load generator with a real HTTP client (httpx) at
several concurrencies; throughput and p50/p99 latency of each.

Models: a BERT-base-shaped classifier (vocabulary 8192, hidden 768, 12 heads, FFN 3072,
12 layers, sequence 64, ids in, 2 logits out), the MLP 256-1024-1024-10, and a tiny MLP
4-8-3 whose p50 through the server is set against a bare call of the model (the
server's own overhead). Every server runs with the same torch threads (`--threads`,
default 1: on a small machine the load generator shares the cores) and no access log.

The hand-written baseline is a FastAPI endpoint with a pydantic request model, the
model called in the endpoint (FastAPI is a dependency of this benchmark only: the `dev`
extra). Run:

    python bench/serve.py                      # all models, 10 s per point
    python bench/serve.py --duration 5 --models mlp,tiny
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import torch
from pydantic import BaseModel
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encoder import Layer  # bench/encoder.py: the same block, in PyTorch

VOCAB, SEQ, CLASSES = 8192, 64, 2

PROGRAMS = {
    "bert": """
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
model Bert(vocab: int, seq: int, dim: int, heads: int, ffn: int, depth: int, classes: int) {
    tok = Embedding(vocab, dim)
    pos = Embedding(seq, dim)
    ln = LayerNorm(dim)
    layers = repeat(depth, Layer(dim, heads, ffn))
    head = Linear(dim, classes)
    fn forward(ids: i64[N, seq]) -> f32[N, classes] {
        let h = ln(tok(ids) + pos(arange(seq)))
        for layer in layers {
            h = layer(h)
        }
        return head(mean(h, axis=1))
    }
}
seed(0)
save(Bert(VOCAB, SEQ, 768, 12, 3072, LAYERS, CLASSES), "bert.mpk")
""",
    "mlp": """
model Mlp(d: int, h: int, c: int) {
    fc1 = Linear(d, h)
    fc2 = Linear(h, h)
    fc3 = Linear(h, c)
    fn forward(x: f32[N, d]) -> f32[N, c] { return fc3(relu(fc2(relu(fc1(x))))) }
}
seed(0)
save(Mlp(256, 1024, 10), "mlp.mpk")
""",
    "tiny": """
model Tiny(d: int, h: int, c: int) {
    fc1 = Linear(d, h)
    fc2 = Linear(h, c)
    fn forward(x: f32[N, d]) -> f32[N, c] { return fc2(relu(fc1(x))) }
}
seed(0)
save(Tiny(4, 8, 3), "tiny.mpk")
""",
}


# ----------------------------------------------------------- the models in PyTorch


class Bert(nn.Module):
    """The M `Bert` above, its `state_dict` names mlang's parameter names."""

    def __init__(self, depth: int) -> None:
        super().__init__()
        self.tok = nn.Embedding(VOCAB, 768)
        self.pos = nn.Embedding(SEQ, 768)
        self.ln = nn.LayerNorm(768)
        self.layers = nn.ModuleList(Layer(768, 12, 3072) for _ in range(depth))
        self.head = nn.Linear(768, CLASSES)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h = self.ln(self.tok(ids) + self.pos(torch.arange(ids.shape[1])))
        for layer in self.layers:
            h = layer(h)
        return self.head(h.mean(1))  # type: ignore[no-any-return]


class Mlp(nn.Module):
    """The M `Mlp` and `Tiny` above (two or three `Linear`s with relu between)."""

    def __init__(self, sizes: Sequence[int]) -> None:
        super().__init__()
        for i, (a, b) in enumerate(itertools.pairwise(sizes)):
            self.add_module(f"fc{i + 1}", nn.Linear(a, b))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        layers = list(self.children())
        for layer in layers[:-1]:
            x = torch.relu(layer(x))
        return layers[-1](x)  # type: ignore[no-any-return]


def torch_model(package: str) -> nn.Module:
    """The package's model as a PyTorch module holding the package's weights."""
    from mlang.runtime.packages import load_package

    _, tensors, metadata = load_package(package)
    name = metadata["model"]
    if name == "Bert":
        module: nn.Module = Bert(sum(1 for k in tensors if k.endswith(".ln1.weight")))
    else:
        sizes = [tensors["fc1.weight"].shape[1]] + [
            tensors[f"fc{i}.weight"].shape[0] for i in range(1, 4) if f"fc{i}.weight" in tensors]
        module = Mlp(sizes)
    module.load_state_dict(tensors)
    return module.eval()


# ------------------------------------------------------- the hand-written baseline


class PredictRequest(BaseModel):
    """The baseline's request body, validated by pydantic as a FastAPI user writes it."""

    inputs: list[list[int]] | list[list[float]]


def baseline_app(package: str) -> object:
    """What a user writes by hand: one FastAPI endpoint, the model called once per
    request (in the event loop, so one request at a time, as FastAPI's tutorial does)."""
    from fastapi import FastAPI

    model = torch_model(package)
    dtype = torch.int64 if isinstance(model, Bert) else torch.float32
    app = FastAPI()
    name = Path(package).stem

    @app.post(f"/v1/models/{name}/predict")
    async def predict(request: PredictRequest) -> dict[str, object]:
        x = torch.tensor(request.inputs, dtype=dtype)
        with torch.no_grad():
            y = model(x)
        return {"outputs": y.tolist()}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def run_baseline(package: str, port: int, threads: int) -> None:
    """Serves the baseline on `port` (one uvicorn worker), until SIGTERM."""
    import uvicorn

    torch.set_num_threads(threads)
    uvicorn.run(baseline_app(package), host="127.0.0.1", port=port,  # type: ignore[arg-type]
                log_level="warning", access_log=False)


# ----------------------------------------------------------------- load generator


@dataclass
class Point:
    """One server at one concurrency."""

    server: str
    concurrency: int
    throughput: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def request_body(model: str, rng: random.Random) -> bytes:
    """A one-row predict request for `model`."""
    if model == "bert":
        inputs: list[object] = [[rng.randrange(VOCAB) for _ in range(SEQ)]]
    else:
        width = 256 if model == "mlp" else 4
        inputs = [[rng.uniform(-1, 1) for _ in range(width)]]
    return json.dumps({"inputs": inputs}).encode()


async def load(url: str, bodies: Sequence[bytes], concurrency: int,
               duration: float) -> tuple[list[float], int]:
    """`concurrency` clients, each sending one request after another for `duration`
    seconds: the latencies (s) of the requests answered 200, and the count of others."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(timeout=600, limits=limits) as client:
        deadline = time.perf_counter() + duration

        async def client_loop(k: int) -> None:
            nonlocal errors
            i = k
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                answer = await client.post(url, content=bodies[i % len(bodies)],
                                           headers=headers)
                if answer.status_code == 200:
                    latencies.append(time.perf_counter() - start)
                else:
                    errors += 1
                i += concurrency

        await asyncio.gather(*(client_loop(k) for k in range(concurrency)))
    return latencies, errors


def measure(server: str, url: str, bodies: Sequence[bytes], concurrency: int,
            duration: float) -> Point:
    """Throughput (answers per second of the run) and latency percentiles."""
    start = time.perf_counter()
    latencies, errors = asyncio.run(load(url, bodies, concurrency, duration))
    elapsed = time.perf_counter() - start
    ms = sorted(x * 1000 for x in latencies)
    pct = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))] if ms else float("nan")
    return Point(server, concurrency, len(ms) / elapsed, pct(0.5), pct(0.99), len(ms), errors)


# ------------------------------------------------------------------------ servers


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(command: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Starts a server and waits until `/health` answers."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {' '.join(command)}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("server did not start")


def server_commands(package: str, port: int, threads: int) -> dict[str, list[str]]:
    """The three servers of one package."""
    mrun = [shutil.which("mrun") or "mrun", "serve", package, "--port", str(port),
            "--threads", str(threads), "--no-access-log"]
    return {
        "mrun serve": mrun,
        "mrun serve --max-batch 1": [*mrun, "--max-batch", "1"],
        "hand-written": [sys.executable, __file__, "--baseline", package, "--port", str(port),
                         "--threads", str(threads)],
    }


def bench_model(model: str, package: str, args: argparse.Namespace,
                env: dict[str, str]) -> list[Point]:
    """Every server of `model` at every concurrency."""
    rng = random.Random(0)
    bodies = [request_body(model, rng) for _ in range(64)]
    points = []
    concurrencies = [1] if model == "tiny" else args.concurrency
    for server, command in server_commands(package, free_port(), args.threads).items():
        if model == "tiny" and server != "mrun serve":
            continue
        port = int(command[command.index("--port") + 1])
        process = start_server(command, port, env)
        try:
            url = f"http://127.0.0.1:{port}/v1/models/{model}/predict"
            asyncio.run(load(url, bodies, 1, 2.0))  # warm-up
            for c in concurrencies:
                points.append(measure(server, url, bodies, c, args.duration))
                print(f"  {model:5} {server:26} c={c:<4} {points[-1].throughput:8.1f} req/s "
                      f"p50 {points[-1].p50_ms:9.1f} ms  p99 {points[-1].p99_ms:9.1f} ms  "
                      f"({points[-1].requests} answered, {points[-1].errors} errors)",
                      flush=True)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=120)
    return points


def bare_predict_p50(package: str, threads: int, body: bytes) -> float:
    """p50 (ms) of the tiny model's forward called in-process on one row, no HTTP."""
    from mlang.backends import get_backend
    from mlang.runtime.model_io import load_model
    from mlang.runtime.training import predict

    torch.set_num_threads(threads)
    model = load_model(package, get_backend("torch"), "cpu")
    x = torch.tensor(json.loads(body)["inputs"])
    times = []
    for _ in range(2000):
        start = time.perf_counter()
        predict(model, x)
        times.append(time.perf_counter() - start)
    return statistics.median(times[200:]) * 1000


def make_packages(models: Sequence[str], directory: Path, layers: int,
                  env: dict[str, str]) -> None:
    """Writes each model's package with `mrun` (random weights, seed 0)."""
    for model in models:
        source = PROGRAMS[model].replace("VOCAB", str(VOCAB)).replace("SEQ", str(SEQ))
        source = source.replace("CLASSES", str(CLASSES)).replace("LAYERS", str(layers))
        (directory / f"{model}.m").write_text(source)
        subprocess.run([shutil.which("mrun") or "mrun", f"{model}.m"], cwd=directory, env=env,
                       check=True)


def report(model: str, points: list[Point]) -> None:
    """The table of one model, and the ratios that the targets name."""
    print(f"\n{model}: server, concurrency, throughput (req/s), p50 (ms), p99 (ms)")
    print("| server | concurrency | req/s | p50 ms | p99 ms |\n| --- | --- | --- | --- | --- |")
    for p in points:
        print(f"| {p.server} | {p.concurrency} | {p.throughput:.1f} | {p.p50_ms:.1f} | "
              f"{p.p99_ms:.1f} |")
    by = {(p.server, p.concurrency): p for p in points}
    for c in (1, 32):
        ours, base = by.get(("mrun serve", c)), by.get(("hand-written", c))
        if ours and base:
            print(f"c={c}: throughput {ours.throughput / base.throughput:.2f}x the hand-written "
                  f"baseline; p50 {ours.p50_ms / base.p50_ms:.2f}x, "
                  f"p99 {ours.p99_ms / base.p99_ms:.2f}x")


def main() -> None:
    """Builds the packages, runs the servers under load, prints the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="tiny,mlp,bert")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per point")
    parser.add_argument("--concurrency", type=lambda s: [int(c) for c in s.split(",")],
                        default=[1, 8, 32, 128])
    parser.add_argument("--threads", type=int, default=1, help="torch threads of every server")
    parser.add_argument("--layers", type=int, default=12, help="BERT layers")
    parser.add_argument("--baseline", help=argparse.SUPPRESS)  # runs the baseline server
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline:
        run_baseline(args.baseline, args.port, args.threads)
        return
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    models = args.models.split(",")
    print(f"threads per server: {args.threads}; {os.cpu_count()} cores; "
          f"{args.duration:g} s per point", flush=True)
    with tempfile.TemporaryDirectory(prefix="mlang-bench-serve-") as tmp:
        make_packages(models, Path(tmp), args.layers, env)
        for model in models:
            package = str(Path(tmp) / f"{model}.mpk")
            points = bench_model(model, package, args, env)
            report(model, points)
            if model == "tiny":
                body = request_body("tiny", random.Random(0))
                bare = bare_predict_p50(package, args.threads, body)
                print(f"server overhead: p50 {points[0].p50_ms:.2f} ms over HTTP against "
                      f"{bare:.3f} ms for a bare predict call "
                      f"({points[0].p50_ms - bare:.2f} ms)")


if __name__ == "__main__":
    main()
