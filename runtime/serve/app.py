"""The ASGI app (Starlette): the routes of `mrun serve`, the body limit, the access log
and the metrics of every request."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Mapping

import torch
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mlang.runtime.serve.batcher import Batcher, Job
from mlang.runtime.serve.metrics import Metrics
from mlang.runtime.serve.schema import BadInput, finite_float, reject_constant
from mlang.runtime.serve.served import ServedModel

ACCESS_LOG = logging.getLogger("mlang.serve.access")
"""One JSON object a line per request: time, client, method, path, model, status, ms."""


class ServerState:
    """What every request handler shares: the models, the batcher, the metrics, limits."""

    def __init__(self, models: Mapping[str, ServedModel], batcher: Batcher,
                 max_body: int) -> None:
        self.models = dict(models)
        self.batcher = batcher
        self.max_body = max_body
        self.metrics = Metrics(batcher.max_batch, batcher.depth)
        batcher.metrics = self.metrics


def _error(status: int, message: str) -> JSONResponse:
    """An error answer: `{"error": MESSAGE}`."""
    return JSONResponse({"error": message}, status)


async def _health(request: Request) -> Response:
    return JSONResponse({"status": "ok", "models": sorted(_state(request).models)})


async def _list_models(request: Request) -> Response:
    return JSONResponse({"models": [_describe(m) for m in _state(request).models.values()]})


def _describe(served: ServedModel) -> dict[str, object]:
    """What `/v1/models` says of one model: its inputs, outputs and request schema."""
    sig = served.signature
    return {"name": served.name, "model": served.model.name, "batched": sig.batched,
            "inputs": [s.describe() for s in sig.inputs],
            "outputs": [s.describe() for s in sig.outputs],
            "text": served.tokenizer is not None, "classes": served.classes,
            "request_schema": sig.json_schema()}


async def _metrics(request: Request) -> Response:
    return Response(_state(request).metrics.exposition(),
                    media_type="text/plain; version=0.0.4; charset=utf-8")


async def _predict(request: Request) -> Response:
    state = _state(request)
    name = request.path_params["name"]
    served = state.models.get(name)
    if served is None:
        known = ", ".join(sorted(state.models))
        return _error(404, f"no model '{name}' is served here (models: {known})")
    try:
        with state.batcher.receiving_one():
            raw = await _body(request, state.max_body)
            args = _inputs(served, _json(raw), b"true" in raw or b"false" in raw)
        return JSONResponse(await state.batcher.submit(Job(served, args)))
    except BadInput as err:
        return _error(err.status, str(err))


def _inputs(served: ServedModel, body: object, booleans: bool) -> list[torch.Tensor]:
    """The checked forward inputs of a predict request's body (`booleans`: whether its
    text holds `true` or `false` anywhere)."""
    if not isinstance(body, dict):
        raise BadInput('body: expected a JSON object {"inputs": ...}')
    fields = set(body)
    if fields == {"inputs"}:
        return served.signature.parse(body["inputs"], booleans)
    if fields == {"text"}:
        return served.text_inputs(body["text"])
    unknown = sorted(fields - {"inputs", "text"})
    if unknown:
        raise BadInput(f"{unknown[0]}: unknown field; expected 'inputs' (or 'text')")
    raise BadInput("body: expected exactly one of the fields 'inputs' and 'text'")


async def _body(request: Request, limit: int) -> bytes:
    """The request's body, read up to `limit` bytes; larger is a 413."""
    too_large = BadInput(f"body: larger than the limit of {limit} bytes", 413)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _json(raw: bytes) -> object:
    """The JSON value of a body: standard JSON only, numbers finite."""
    try:
        return json.loads(raw, parse_constant=reject_constant,
                          parse_float=finite_float)
    except (ValueError, RecursionError) as err:  # BadInput of a number passes through
        raise BadInput(f"body: not valid JSON: {err}") from None


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.mlang
    return state


class AccessLog:
    """ASGI middleware: counts and times every request and writes its access-log line."""

    def __init__(self, app: ASGIApp, state: ServerState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self._record(scope, status, time.perf_counter() - start)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        """Adds the request to the metrics and the access log."""
        path: str = scope["path"]
        endpoint, model = _endpoint(path, self.state.models)
        self.state.metrics.requests.labels(endpoint, model, str(status)).inc()
        self.state.metrics.latency.labels(endpoint, model).observe(seconds)
        if ACCESS_LOG.isEnabledFor(logging.INFO):
            client = scope.get("client")
            ACCESS_LOG.info(json.dumps({
                "time": round(time.time(), 3), "client": client[0] if client else None,
                "method": scope["method"], "path": path, "model": model or None,
                "status": status, "ms": round(seconds * 1000, 3)}))


def _endpoint(path: str, models: Mapping[str, ServedModel]) -> tuple[str, str]:
    """The metric labels of a path: its endpoint, and the model for a served one (other
    names count as "", so that unknown names cannot grow the metrics without bound)."""
    parts = path.strip("/").split("/")
    if len(parts) == 4 and parts[:2] == ["v1", "models"] and parts[3] == "predict":
        return "predict", parts[2] if parts[2] in models else ""
    return {"health": "health", "metrics": "metrics", "v1/models": "models"}.get(
        path.strip("/"), "other"), ""


def make_app(state: ServerState, banner: str = "") -> ASGIApp:
    """The ASGI app serving `state`'s models; `banner` is printed once it listens."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.batcher.start()
        if banner:
            logging.getLogger("mlang.serve").warning(banner)
        yield
        await state.batcher.stop()

    app = Starlette(routes=[
        Route("/health", _health), Route("/v1/models", _list_models),
        Route("/metrics", _metrics),
        Route("/v1/models/{name}/predict", _predict, methods=["POST"]),
    ], lifespan=lifespan)
    app.state.mlang = state
    return AccessLog(app, state)
