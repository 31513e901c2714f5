"""The server's Prometheus metrics, in a registry of its own (one per app)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _size_buckets(max_batch: int) -> tuple[float, ...]:
    """Powers of two up to `max_batch`, and `max_batch` itself."""
    sizes = {1 << i for i in range(max_batch.bit_length()) if 1 << i <= max_batch}
    return tuple(float(s) for s in sorted(sizes | {max_batch}))


class Metrics:
    """Request counts by status, latency, batch sizes and queue depth."""

    def __init__(self, max_batch: int, queue_depth: Callable[[], float]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("mlang_requests", "HTTP requests answered, by endpoint, model "
                                "and status", ["endpoint", "model", "status"],
                                registry=self.registry)
        self.latency = Histogram("mlang_request_seconds", "Time from request to response",
                                 ["endpoint", "model"], buckets=_LATENCY_BUCKETS,
                                 registry=self.registry)
        self.batch_rows = Histogram("mlang_batch_rows", "Rows per batch run by the model",
                                    ["model"], buckets=_size_buckets(max_batch),
                                    registry=self.registry)
        self.batch_requests = Histogram("mlang_batch_requests", "Requests per batch run by "
                                        "the model", ["model"],
                                        buckets=_size_buckets(max_batch), registry=self.registry)
        depth = Gauge("mlang_queue_depth", "Requests waiting for the model",
                      registry=self.registry)
        depth.set_function(queue_depth)

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)
