"""`mrun serve PACKAGE...`: the command line of the model server (runtime/serve)."""

from __future__ import annotations

import sys

import click

from mlang.support.diagnostics import UserError


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("packages", nargs=-1, required=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Keep the default behind a reverse proxy that adds "
                   "TLS and authentication; the server has neither.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--max-batch", type=click.IntRange(1), default=32, show_default=True,
              help="Most rows run as one batch.")
@click.option("--max-wait-ms", type=click.FloatRange(0), default=5.0, show_default=True,
              help="Longest wait for more requests to join a batch.")
@click.option("--max-body-mb", type=click.FloatRange(0, min_open=True), default=16.0,
              show_default=True, help="Largest request body; larger is a 413.")
@click.option("--max-queue", type=click.IntRange(1), default=1024, show_default=True,
              help="Most requests waiting for the model; more are a 503.")
@click.option("--threads", type=click.IntRange(0), default=0, show_default=True,
              help="torch threads of the model (0: half the cores, at least one).")
@click.option("--no-access-log", is_flag=True, help="Do not log each request.")
def serve_command(packages: tuple[str, ...], host: str, port: int, max_batch: int,
                  max_wait_ms: float, max_body_mb: float, max_queue: int, threads: int,
                  no_access_log: bool) -> None:
    """Serve the model PACKAGES over HTTP/JSON, each under its file name without the
    extension: GET /health, GET /v1/models, POST /v1/models/NAME/predict, GET /metrics.
    SIGTERM finishes the requests in flight, then exits 0."""
    from mlang.runtime.serve import ServeOptions, serve

    options = ServeOptions(host, port, max_batch, max_wait_ms, max_body_mb, max_queue,
                           threads, not no_access_log)
    try:
        serve(packages, options)
    except UserError as err:
        sys.stderr.write(f"error: {err}\n")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
