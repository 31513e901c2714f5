"""`mrun serve`, run as a real process on a free port and driven over HTTP by httpx:
answers against `predict`, batching under concurrency, refusals of bad input (each a 4xx
that names the field, the server healthy afterwards), and a SIGTERM under load.

Here `{"text": ...}` is tested for its refusal by a package without a tokenizer;
test_serve_text.py serves packages that hold one."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import torch

from mlang.backends import get_backend
from mlang.runtime.model_io import load_model
from mlang.runtime.serve.batcher import Batcher, Job
from mlang.runtime.serve.schema import BadInput
from mlang.runtime.serve.served import ServedModel
from mlang.runtime.training import predict

MRUN = [shutil.which("mrun")] if shutil.which("mrun") else [
    sys.executable, "-c", "from mlang.tools.mrun import main; main()"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
PROGRAM = """\
model Mlp(d: int, hidden: int, classes: int) {
    fc1 = Linear(d, hidden)
    fc2 = Linear(hidden, classes)
    fn forward(x: f32[N, d]) -> f32[N, classes] { return fc2(relu(fc1(x))) }
}
model Lookup() {
    e = Embedding(5, 3)
    fn forward(ids: i64[N]) -> f32[N, 3] { return e(ids) }
}
seed(1)
save(Mlp(4, 8, 3), "mlp.mpk")
save(Lookup(), "lookup.mpk")
"""


@dataclass
class Server:
    """A running `mrun serve` process and a client for it."""

    process: subprocess.Popen[str]
    url: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def stop(self) -> int:
        """SIGTERM, then the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start(directory: Path, *args: str) -> Server:
    """`mrun serve ARGS` on a free port, once it answers /health."""
    port = free_port()
    process = subprocess.Popen([*MRUN, "serve", *args, "--port", str(port)], cwd=directory,
                               env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    server = Server(process, f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.stop()
    raise AssertionError("mrun serve did not start")


def make_packages(directory: Path, program: str) -> Path:
    """`directory`, where `mrun` has run `program` (which saves the packages to serve)."""
    (directory / "make.m").write_text(program)
    proc = subprocess.run([*MRUN, "make.m"], cwd=directory, env=ENV, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return directory


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_packages(tmp_path_factory.mktemp("serve"), PROGRAM)


@pytest.fixture(scope="module")
def server(packages: Path) -> Iterator[Server]:
    running = start(packages, "mlp.mpk", "lookup.mpk", "--max-wait-ms", "50",
                    "--max-body-mb", "0.05", "--max-batch", "64")
    yield running
    assert running.stop() == 0


@pytest.fixture(scope="module")
def mlp(packages: Path) -> object:
    torch.set_num_threads(1)
    return load_model(str(packages / "mlp.mpk"), get_backend("torch"), "cpu")


def rows(n: int, start: float = 0.0) -> list[list[float]]:
    return [[start + i + j / 4 for j in range(4)] for i in range(n)]


def expected(mlp: object, x: list[list[float]]) -> torch.Tensor:
    out = predict(mlp, torch.tensor(x))  # type: ignore[arg-type]  # a ModelInstance
    assert isinstance(out, torch.Tensor)
    return out


def metric(text: str, name: str) -> float:
    """The sum of a metric's samples of that exact name in a /metrics answer."""
    return sum(float(m[1]) for m in re.finditer(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text,
                                                re.MULTILINE))


def test_health_and_models(server: Server) -> None:
    with server.client() as c:
        assert c.get("/health").json() == {"status": "ok", "models": ["lookup", "mlp"]}
        models = {m["name"]: m for m in c.get("/v1/models").json()["models"]}
    assert models["mlp"]["inputs"] == [
        {"name": "x", "dtype": "f32", "shape": [None, 4], "type": "f32[?, 4]"}]
    assert models["mlp"]["outputs"][0]["type"] == "f32[?, 3]"
    assert models["lookup"]["inputs"][0]["dtype"] == "i64"
    schema = models["mlp"]["request_schema"]
    assert schema["required"] == ["inputs"]


@pytest.mark.parametrize("n", [1, 5])
def test_outputs_match_predict(server: Server, mlp: object, n: int) -> None:
    x = rows(n)
    with server.client() as c:
        plain = c.post("/v1/models/mlp/predict", json={"inputs": x})
        named = c.post("/v1/models/mlp/predict", json={"inputs": {"x": x}})
    assert plain.status_code == 200, plain.text
    assert plain.json() == named.json()
    torch.testing.assert_close(torch.tensor(plain.json()["outputs"]), expected(mlp, x))


def test_integer_inputs(server: Server) -> None:
    with server.client() as c:
        answer = c.post("/v1/models/lookup/predict", json={"inputs": [0, 4, 4]})
    assert answer.status_code == 200, answer.text
    out = answer.json()["outputs"]
    assert len(out) == 3 and out[1] == out[2] != out[0]


def test_concurrent_requests_are_batched(server: Server, mlp: object) -> None:
    """200 requests at once, each of 1 to 3 rows: each answered with its own rows, and the
    model ran fewer batches than there were requests."""
    with server.client() as c:
        before = c.get("/metrics").text
    inputs = [rows(1 + i % 3, start=i) for i in range(200)]

    async def send_all() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as c:
            return await asyncio.gather(*(c.post("/v1/models/mlp/predict", json={"inputs": x})
                                          for x in inputs))

    answers = asyncio.run(send_all())
    for x, answer in zip(inputs, answers):
        assert answer.status_code == 200, answer.text
        torch.testing.assert_close(torch.tensor(answer.json()["outputs"]), expected(mlp, x))
    with server.client() as c:
        after = c.get("/metrics").text
    batches = (metric(after, "mlang_batch_requests_count")
               - metric(before, "mlang_batch_requests_count"))
    requests = (metric(after, "mlang_batch_requests_sum")
                - metric(before, "mlang_batch_requests_sum"))
    assert requests == 200
    assert batches < 200, "no two requests ran as one batch"
    assert metric(after, "mlang_batch_rows_sum") - metric(before, "mlang_batch_rows_sum") == \
        sum(len(x) for x in inputs)
    assert 'mlang_requests_total{endpoint="predict",model="mlp",status="200"}' in after
    assert "mlang_queue_depth 0.0" in after


BAD = [
    ("bad JSON", "mlp", b'{"inputs": [[1, 2', 400, "not valid JSON"),
    ("not an object", "mlp", b"[1, 2]", 400, "body"),
    ("no inputs field", "mlp", b'{"input": [[1, 2, 3, 4]]}', 400, "input"),
    ("wrong shape", "mlp", b'{"inputs": [[1, 2, 3]]}', 400, "f32[?, 4]"),
    ("wrong rank", "mlp", b'{"inputs": [1, 2, 3, 4]}', 400, "f32[?, 4]"),
    ("ragged", "mlp", b'{"inputs": [[1, 2, 3, 4], [1, 2]]}', 400, "unequal lengths"),
    ("empty", "mlp", b'{"inputs": []}', 400, "inputs"),
    ("strings for numbers", "mlp", b'{"inputs": [["1", "2", "3", "4"]]}', 400, "strings"),
    ("booleans for numbers", "mlp", b'{"inputs": [[true, 2, 3, 4]]}', 400, "inputs"),
    ("null", "mlp", b'{"inputs": [[null, 2, 3, 4]]}', 400, "inputs"),
    ("NaN", "mlp", b'{"inputs": [[NaN, 2, 3, 4]]}', 400, "NaN"),
    ("Infinity", "mlp", b'{"inputs": [[Infinity, 2, 3, 4]]}', 400, "Infinity"),
    ("number too large", "mlp", b'{"inputs": [[1e400, 2, 3, 4]]}', 400, "out of range"),
    ("float beyond f32", "mlp", b'{"inputs": [[1e39, 2, 3, 4]]}', 400, "finite"),
    ("missing field", "mlp", b'{"inputs": {}}', 400, "inputs.x: missing"),
    ("unknown field", "mlp", b'{"inputs": {"x": [[1, 2, 3, 4]], "y": 1}}', 400, "inputs.y"),
    ("floats for ids", "lookup", b'{"inputs": [0.5, 1]}', 400, "i64"),
    ("id out of range", "lookup", b'{"inputs": [7]}', 400, "out of range"),
    ("id beyond i64", "lookup", b'{"inputs": [99999999999999999999999]}', 400, "inputs"),
    ("text without tokenizer", "mlp", b'{"text": ["hello"]}', 400, "tokenizer"),
    ("oversized body", "mlp", b'{"inputs": [' + b"[1, 2, 3, 4], " * 8000 + b"[1, 2, 3, 4]]}",
     413, "limit"),
    ("unknown model", "nope", b'{"inputs": [[1, 2, 3, 4]]}', 404, "mlp"),
]


@pytest.mark.parametrize(("case", "model", "body", "status", "fragment"), BAD,
                         ids=[b[0] for b in BAD])
def test_bad_input_is_a_clear_4xx(server: Server, case: str, model: str, body: bytes,
                                  status: int, fragment: str) -> None:
    with server.client() as c:
        answer = c.post(f"/v1/models/{model}/predict", content=body,
                        headers={"content-type": "application/json"})
        assert answer.status_code == status, answer.text
        assert fragment in answer.json()["error"], answer.text
        assert c.get("/health").status_code == 200
        good = c.post("/v1/models/mlp/predict", json={"inputs": rows(1)})
        assert good.status_code == 200, good.text


def test_a_package_that_cannot_be_read_is_an_error(tmp_path: Path) -> None:
    proc = subprocess.run([*MRUN, "serve", "missing.mpk"], cwd=tmp_path, env=ENV,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "error: no such model package: 'missing.mpk'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_full_queue_is_a_503(packages: Path) -> None:
    """In-process: with the worker not started, nothing leaves a queue of one."""
    served = ServedModel.load(str(packages / "mlp.mpk"))

    async def fill() -> None:
        batcher = Batcher(max_batch=4, max_wait=0, max_queue=1)
        first = asyncio.ensure_future(batcher.submit(Job(served, [torch.zeros(1, 4)])))
        await asyncio.sleep(0)
        with pytest.raises(BadInput) as refused:
            await batcher.submit(Job(served, [torch.zeros(1, 4)]))
        assert refused.value.status == 503 and "queue is full" in str(refused.value)
        assert batcher.depth() == 1
        first.cancel()

    asyncio.run(fill())


def test_sigterm_under_load_loses_no_accepted_request(packages: Path, mlp: object) -> None:
    """Requests that reached the server before SIGTERM are all answered (later ones may be
    refused a connection), and the server exits 0."""
    server = start(packages, "mlp.mpk", "--max-wait-ms", "20")
    inputs = [rows(200, start=i) for i in range(60)]
    signalled = asyncio.Event()

    async def one(c: httpx.AsyncClient, x: list[list[float]]) -> httpx.Response | None:
        try:
            return await c.post("/v1/models/mlp/predict", json={"inputs": x})
        except httpx.ConnectError:
            assert signalled.is_set(), "refused before SIGTERM"
            return None

    async def load() -> list[httpx.Response | None]:
        limits = httpx.Limits(max_connections=len(inputs))
        async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as c:
            tasks = [asyncio.create_task(one(c, x)) for x in inputs]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            server.process.send_signal(signal.SIGTERM)
            signalled.set()
            return await asyncio.gather(*tasks)

    answers = asyncio.run(load())
    assert server.process.wait(timeout=60) == 0, server.process.communicate()
    answered = [(x, a) for x, a in zip(inputs, answers) if a is not None]
    assert len(answered) > 1
    for x, answer in answered:
        assert answer.status_code == 200, answer.text
        torch.testing.assert_close(torch.tensor(answer.json()["outputs"]), expected(mlp, x))
