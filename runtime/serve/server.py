"""`mrun serve`: loads packages, sets the threads, and runs the app under uvicorn.

Threads: on a small machine the HTTP loop, JSON and the model compete for the same
cores, and torch's intra-op pool spinning on every core slows small products by ten
times or more. The model runs in one thread of its own with `threads` intra-op threads
(by default half the cores, at least one); the rest is left to the event loop.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import uvicorn

from mlang.runtime.serve.app import ServerState, make_app
from mlang.runtime.serve.batcher import Batcher
from mlang.runtime.serve.served import ServedModel
from mlang.support.diagnostics import UserError

GRACE_SECONDS = 30
"""How long SIGTERM waits for the requests in flight before closing their connections."""


@dataclass(frozen=True)
class ServeOptions:
    """The command line of `mrun serve`, less the packages."""

    host: str = "127.0.0.1"
    port: int = 8000
    max_batch: int = 32
    max_wait_ms: float = 5.0
    max_body_mb: float = 16.0
    max_queue: int = 1024
    threads: int = 0
    """torch intra-op threads for the model; 0: half the cores, at least one."""
    access_log: bool = True


def default_threads() -> int:
    """Half the cores this process may use, at least one."""
    return max(1, len(os.sched_getaffinity(0)) // 2)


def load_models(paths: Sequence[str]) -> dict[str, ServedModel]:
    """Every package, by the name it is served under; two of one name is an error."""
    models: dict[str, ServedModel] = {}
    for path in paths:
        served = ServedModel.load(path)
        if served.name in models:
            raise UserError(f"two packages would be served as '{served.name}': name them "
                            "differently (a model is served under its file name)")
        served.warm_up()
        models[served.name] = served
    return models


def serve(paths: Sequence[str], options: ServeOptions) -> None:
    """Serves the packages at `paths` until SIGTERM or Ctrl-C; UserError if one cannot
    be loaded. SIGTERM lets the requests in flight finish, then returns."""
    torch.set_num_threads(options.threads or default_threads())
    models = load_models(paths)
    state = ServerState(models, Batcher(options.max_batch, options.max_wait_ms / 1000,
                                        options.max_queue),
                        int(options.max_body_mb * (1 << 20)))
    _configure_logging(options.access_log)
    url = f"http://{options.host}:{options.port}"
    config = uvicorn.Config(make_app(state, f"mrun serve: {', '.join(models)} at {url}"),
                            host=options.host, port=options.port, log_level="warning",
                            access_log=False, server_header=False,
                            timeout_graceful_shutdown=GRACE_SECONDS, log_config=None)
    # uvicorn raises the signal again once it has shut down; ignoring SIGTERM from then on
    # makes a graceful stop exit with status 0, as the spec asks.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    uvicorn.Server(config).run()  # a port that cannot be bound: uvicorn says so, exit 1


def _configure_logging(access_log: bool) -> None:
    """Server messages and the access log go to standard error, one line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("mlang.serve", "uvicorn.error"):
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(logging.INFO if access_log else logging.WARNING)
