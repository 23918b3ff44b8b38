"""The load generator of the serving benchmarks: keep-alive clients in threads, latency percentiles, the
resident memory of a server's processes, and how many sentences the server decoded per call (from its
``/metrics``)."""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from serve.metrics import BATCH_SIZE_NAME


@dataclass
class LevelResult:
    """The figures for one concurrency level."""

    clients: int
    requests: int
    ok: int
    errors: int
    seconds: float
    throughput_rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    server_rss_mib: float | None
    sentences_per_decode: float | None = None


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def parent_pids() -> dict[int, int]:
    """pid -> parent pid of every process /proc lists now."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def rss_mib(pid: int | None) -> float | None:
    """Resident memory of ``pid`` and all its descendants (the server process, nginx, the gunicorn masters
    and their workers), in MiB."""
    if pid is None:
        return None
    parents = parent_pids()
    pids, frontier = [pid], {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        pids += frontier
    total_kib = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024.0


def batch_totals(text: str) -> tuple[float, float]:
    """(sentences, decode calls) of the ``translator_batch_sentences`` histogram in a Prometheus text,
    summed over every pair and lane."""
    sentences = calls = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == f"{BATCH_SIZE_NAME}_sum":
                sentences += sample.value
            elif sample.name == f"{BATCH_SIZE_NAME}_count":
                calls += sample.value
    return sentences, calls


def server_batch_totals(host: str, port: int, timeout: float) -> tuple[float, float] | None:
    """``batch_totals`` of the server's ``GET /metrics``; None when it does not answer 200 (metrics off)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    return batch_totals(body.decode("utf-8")) if response.status == 200 else None


def per_decode(before: tuple[float, float] | None, after: tuple[float, float] | None) -> float | None:
    """Mean sentences per decode call between two ``batch_totals`` (None if either is missing or no call)."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return round((after[0] - before[0]) / (after[1] - before[1]), 2)


class Client:
    """One keep-alive connection to the server; reconnects after a failure."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def post(self, path: str, payload: dict) -> tuple[int, bytes]:
        """POST JSON and return (status, body); raises OSError/HTTPException on transport failure."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            body = json.dumps(payload).encode()
            self.conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise


def run_level(
    host: str, port: int, clients: int, payload: Callable[[int], dict], args: argparse.Namespace
) -> LevelResult:
    """Send ``args.requests`` requests (request i's body: ``payload(i)``) from ``clients`` threads; stop early
    at ``args.level_timeout``."""
    latencies: list[float] = []
    errors = [0]
    counter = iter(range(args.requests))
    lock = threading.Lock()
    deadline = time.monotonic() + args.level_timeout

    def worker() -> None:
        client = Client(host, port, args.timeout)
        while time.monotonic() < deadline:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            body = payload(index)
            start = time.perf_counter()
            try:
                status, _ = client.post("/v1/translate", body)
            except (OSError, http.client.HTTPException):
                status = 0
            elapsed = (time.perf_counter() - start) * 1000.0
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    batches_before = server_batch_totals(host, port, args.timeout)
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(args.level_timeout + args.timeout + 5)
    seconds = time.perf_counter() - began
    batches = per_decode(batches_before, server_batch_totals(host, port, args.timeout))
    done = len(latencies)
    return LevelResult(
        clients=clients,
        requests=done + errors[0],
        ok=done,
        errors=errors[0],
        seconds=round(seconds, 3),
        throughput_rps=round(done / seconds, 2),
        p50_ms=round(percentile(latencies, 50), 1),
        p95_ms=round(percentile(latencies, 95), 1),
        p99_ms=round(percentile(latencies, 99), 1),
        mean_ms=round(statistics.fmean(latencies), 1) if latencies else float("nan"),
        server_rss_mib=None if args.server_pid is None else round(rss_mib(args.server_pid) or 0.0, 1),
        sentences_per_decode=batches,
    )
