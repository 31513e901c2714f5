"""`mrun serve`: saved model packages over HTTP/JSON, with dynamic batching, input
checks against each model's signature, Prometheus metrics and a graceful stop.

app.py holds the routes (Starlette, under uvicorn), batcher.py the queue and the model's
worker, schema.py the signature and the checks of a request, served.py a loaded package,
metrics.py the Prometheus metrics, server.py the process: threads, loading, signals.
"""

from mlang.runtime.serve.server import ServeOptions, serve

__all__ = ["ServeOptions", "serve"]
