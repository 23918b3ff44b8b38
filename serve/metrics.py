"""Prometheus metrics (prometheus-client), served at ``GET /metrics``.

Under gunicorn every worker is its own process, so the metrics live in prometheus-client's multiprocess
mode: ``serve.server`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder before the workers start (so
it must be set before this module is imported), each worker writes its values there, a worker that exits is
marked dead, and ``/metrics`` in any worker adds up all of them. Counters and histograms are summed over the
workers; the ``translator_worker_*`` gauges keep one series per worker (label ``pid``). Without the
variable (tests, the Flask development server) the process's own registry is served.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from serve.settings import MULTIPROC_ENV

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)
BATCH_SIZE_NAME = "translator_batch_sentences"  # read back by bench.serve_load

REQUESTS = Counter(
    "translator_requests_total",
    "HTTP requests answered, by endpoint, method and status",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "translator_request_seconds", "Time to answer a request, by endpoint", ["endpoint"], buckets=LATENCY_BUCKETS
)
SENTENCES = Counter("translator_sentences_total", "Sentences translated, by language pair", ["pair"])
BATCH_SIZE = Histogram(
    BATCH_SIZE_NAME, "Sentences per decode call, by pair and lane", ["pair", "lane"], buckets=BATCH_BUCKETS
)
QUEUE_DEPTH = Gauge(
    "translator_queue_sentences",
    "Sentences waiting to be decoded, by pair and lane (summed over live workers)",
    ["pair", "lane"],
    multiprocess_mode="livesum",
)
WORKER_REQUESTS = Gauge("translator_worker_requests", "Requests this worker has answered", multiprocess_mode="liveall")
WORKER_IN_FLIGHT = Gauge(
    "translator_worker_in_flight_requests", "Requests this worker is answering now", multiprocess_mode="liveall"
)


class LaneMonitor:
    """What a batcher lane reports (``serve.jobs.Monitor``): the size of every decode
    call and the sentences still waiting."""

    def __init__(self, pair: str, lane: str) -> None:
        self.batch_size = BATCH_SIZE.labels(pair=pair, lane=lane)
        self.queue_depth = QUEUE_DEPTH.labels(pair=pair, lane=lane)
        self.sentences = SENTENCES.labels(pair=pair)

    def decoded(self, sentences: int) -> None:
        self.batch_size.observe(sentences)
        self.sentences.inc(sentences)

    def waiting(self, sentences: int) -> None:
        self.queue_depth.set(sentences)


def exposition() -> tuple[bytes, str]:
    """The metrics text and its content type: all workers' in multiprocess mode, else this process's."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def worker_exited(pid: int) -> None:
    """gunicorn's ``child_exit`` hook: drop a dead worker's live gauges."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)
