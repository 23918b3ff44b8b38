"""Load benchmark of the HTTP server: throughput, latency percentiles, errors and server memory.

Starts ``python -m serve`` on a free 127.0.0.1 port (or uses ``--url``), then for each concurrency level
(default 1, 8, 32 clients) sends a fixed number of ``POST /v1/translate`` requests, one sentence each,
from a bounded pool of threads with keep-alive connections and timeouts. Prints a table and writes
JSON to ``bench/results/serve-<host>-<date>.json``. Only loopback addresses are accepted.

    python -m bench.serve_bench --model artifacts/default --requests 200 --clients 1 8 32
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
FALLBACK = [
    "Ein Mann fährt mit dem Fahrrad über eine Brücke.",
    "Zwei Hunde spielen im Schnee.",
    "Eine Frau in einem roten Kleid liest ein Buch.",
    "Kinder spielen auf der Straße vor einem Haus.",
    "Ein Junge springt in einen See.",
    "Mehrere Menschen warten an einer Bushaltestelle.",
    "Ein Hund rennt über eine grüne Wiese.",
    "Eine Gruppe von Menschen sitzt um einen Tisch und isst.",
]


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


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def rss_mib(pid: int | None) -> float | None:
    """Resident memory of ``pid`` and its child processes (gunicorn master + workers), in MiB."""
    if pid is None:
        return None
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                pids.append(int(entry.name))
    total_kib = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024.0


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


def run_level(host: str, port: int, clients: int, sentences: list[str], args: argparse.Namespace) -> LevelResult:
    """Send ``args.requests`` requests from ``clients`` threads; stop early at ``args.level_timeout``."""
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
            payload = {"text": sentences[index % len(sentences)], "beam_size": args.beam_size}
            start = time.perf_counter()
            try:
                status, _ = client.post("/v1/translate", payload)
            except (OSError, http.client.HTTPException):
                status = 0
            elapsed = (time.perf_counter() - start) * 1000.0
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(args.level_timeout + args.timeout + 5)
    seconds = time.perf_counter() - began
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
    )


def load_sentences(path: str | None, src_lang: str, limit: int) -> tuple[list[str], str]:
    """Sentences from ``path``, else the source side of test_2016_flickr, else a built-in list."""
    candidates = [Path(path)] if path else [REPO / "data" / "multi30k" / f"test_2016_flickr.{src_lang}"]
    for candidate in candidates:
        if candidate.is_file():
            lines = [line.strip() for line in candidate.read_text(encoding="utf-8").splitlines() if line.strip()]
            if lines:
                return lines[:limit], str(candidate)
    if path:
        raise SystemExit(f"error: no sentences in {path}")
    return FALLBACK, "built-in list"


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(args: argparse.Namespace, port: int, log: Path) -> subprocess.Popen:
    """Start ``python -m serve`` with this benchmark's settings (see ``launch_server``)."""
    names = ("model", "workers", "threads", "torch_threads", "max_batch_size", "max_wait_ms")
    return launch_server([f"--{name.replace('_', '-')}={getattr(args, name)}" for name in names], port, log)


def launch_server(flags: list[str], port: int, log: Path) -> subprocess.Popen:
    """Start ``python -m serve`` on 127.0.0.1:``port`` with ``flags`` (output to ``log``) and wait for
    /v1/health (the model check runs first); exit with the log's tail if it does not come up."""
    cmd = [sys.executable, "-m", "serve", "--host=127.0.0.1", f"--port={port}", *flags]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/v1/health")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"server failed to start:\n{log.read_text(errors='replace')[-3000:]}")


def model_info(host: str, port: int) -> dict:
    """GET /v1/model."""
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("GET", "/v1/model")
    return json.loads(conn.getresponse().read())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="artifacts/default", help="package to serve (ignored with --url)")
    p.add_argument("--url", help="benchmark a running server on loopback, e.g. http://127.0.0.1:8080")
    p.add_argument("--server-pid", type=int, help="with --url: gunicorn master pid, for memory figures")
    p.add_argument("--sentences", help="file with one source sentence a line")
    p.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    p.add_argument("--requests", type=int, default=200, help="requests per concurrency level")
    p.add_argument("--beam-size", type=int, default=1)
    p.add_argument("--timeout", type=float, default=60.0, help="per-request timeout, seconds")
    p.add_argument("--level-timeout", type=float, default=180.0, help="stop sending after this many seconds")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=32)
    p.add_argument("--torch-threads", type=int, default=1)
    p.add_argument("--max-batch-size", type=int, default=32)
    p.add_argument("--max-wait-ms", type=float, default=20.0)
    p.add_argument("--out", help="JSON output path (default bench/results/serve-<host>-<date>.json)")
    return p.parse_args(argv)


def print_table(results: list[LevelResult]) -> None:
    """The figures as an aligned table (also valid Markdown)."""
    head = ["clients", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "server RSS MiB"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---:" for _ in head) + "|")
    for r in results:
        rss = "n/a" if r.server_rss_mib is None else f"{r.server_rss_mib:.0f}"
        row = [r.clients, r.requests, r.errors, f"{r.throughput_rps:.1f}", r.p50_ms, r.p95_ms, r.p99_ms, rss]
        print("| " + " | ".join(str(v) for v in row) + " |")


def report(args: argparse.Namespace, info: dict, source: str, n: int, results: list[LevelResult]) -> None:
    """Print the table and the speed-up, and write the JSON report."""
    print(f"model {info.get('name')} ({info.get('parameters')} parameters), beam {args.beam_size}, ", end="")
    print(f"{n} sentences from {source}, {os.cpu_count()} CPUs")
    print_table(results)
    speedup = results[-1].throughput_rps / results[0].throughput_rps if results[0].throughput_rps else float("nan")
    print(f"throughput at {results[-1].clients} clients / at {results[0].clients}: {speedup:.1f}x")
    data = dict(
        host=platform.node(),
        date=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        cpus=os.cpu_count(),
        model={k: info.get(k) for k in ("name", "parameters", "src_lang", "tgt_lang")},
        settings={k: v for k, v in vars(args).items() if k != "out"},
        sentences=source,
        speedup=round(speedup, 2),
        levels=[asdict(r) for r in results],
    )
    out = Path(args.out) if args.out else RESULTS / f"serve-{platform.node()}-{dt.date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark against a started (or given) loopback server and write the JSON report."""
    args = parse_args(argv)
    proc = None
    if args.url:
        parts = urlsplit(args.url)
        host, port = parts.hostname or "", parts.port or 80
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("error: only loopback servers may be benchmarked")
    else:
        host, port = "127.0.0.1", free_port()
        proc = start_server(args, port, Path(tempfile.mkdtemp(prefix="serve-bench-")) / "server.log")
        args.server_pid = proc.pid
    try:
        info = model_info(host, port)
        sentences, source = load_sentences(args.sentences, info.get("src_lang") or "de", 2000)
        Client(host, port, args.timeout).post("/v1/translate", {"texts": sentences[:8], "beam_size": args.beam_size})
        results = [run_level(host, port, clients, sentences, args) for clients in args.clients]
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
    report(args, info, source, len(sentences), results)
    return 0 if all(r.errors == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
