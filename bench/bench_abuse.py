"""The server under abuse, bounded and on 127.0.0.1 only: slow connections, floods of large requests, memory.

    python -m bench.bench_abuse --model artifacts/en-fr        (make bench-abuse)

Starts ``python -m serve`` (nginx in front when installed) on a free loopback port, then:

1. ``slow``: ``--slow`` connections each stop part way through a request line, headers or a promised body;
   meanwhile ``--probes`` sequential ``GET /v1/health`` are timed (p50, p99, errors); then the seconds until
   the server has closed every slow connection (nginx's ``--client-timeout-s``).
2. ``flood`` x ``--floods``: ``--flooders`` clients send the largest request the limits allow (``max_texts``
   unsplit texts of ``max_sentence_chars`` characters, within ``max_request_chars``, at ``max_beam``) for
   ``--flood-s`` seconds, while one client
   sends one-sentence greedy requests and times them (p50, p95, errors) and the server's resident memory is
   sampled (peak); after each flood, once the server is idle again, its resident memory (gunicorn workers
   included). ``--paragraphs`` floods with the largest answers instead: as many split texts of sentences as
   ``max_text_chars``, ``max_sentences`` and ``max_request_chars`` allow, greedy, with word alignments.
   ``--serve-arg`` passes a flag to the server (e.g. ``--serve-arg=--max-alignment-cells=1000000000``).

Prints the figures and writes JSON to ``bench/results/abuse-<host>-<date>.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.serve_bench import RESULTS, launch_server
from bench.serve_load import percentile, rss_mib
from bench.slow_clients import closed_by_server, slow_connection
from serve.launcher import free_loopback_port, stop_server

SMALL = "Un homme fait du vélo."
SENTENCE = "Un homme fait du vélo sur un pont. "


def largest_request(limits: dict, paragraphs: bool) -> dict[str, Any]:
    """The largest request the limits allow: the most decoding (unsplit texts at the widest beam) or, with
    ``paragraphs``, the largest answer (the most sentences in split texts, greedy, word alignments too)."""
    if not paragraphs:
        per_text = min(limits["max_sentence_chars"], limits["max_request_chars"] // limits["max_texts"])
        text = (SENTENCE * 40)[:per_text]
        return {"texts": [text] * limits["max_texts"], "beam_size": limits["max_beam"], "split": False}
    per_text = max(1, min(limits["max_text_chars"] // len(SENTENCE), limits["max_sentences"]))
    budget = (
        limits["max_texts"],
        limits["max_sentences"] // per_text,
        limits["max_request_chars"] // len(SENTENCE * per_text),
    )
    text = (SENTENCE * per_text).strip()[: limits["max_text_chars"]]
    return {"texts": [text] * max(1, min(budget)), "beam_size": 1, "split": True, "word_alignment": True}


def timed_get(port: int, path: str, timeout: float) -> tuple[int, float]:
    start = time.perf_counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
    except OSError:
        status = 0
    return status, time.perf_counter() - start


def timed_post(port: int, payload: dict, timeout: float) -> tuple[int, float]:
    start = time.perf_counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("POST", "/v1/translate", json.dumps(payload), {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        status = response.status
        conn.close()
    except OSError:
        status = 0
    return status, time.perf_counter() - start


def slow_phase(port: int, args: argparse.Namespace) -> dict[str, Any]:
    slow = [slow_connection(port, k) for k in range(args.slow)]
    try:
        probes = [timed_get(port, "/v1/health", 10) for _ in range(args.probes)]
        start = time.monotonic()
        deadline = start + args.client_timeout_s + 30
        closed = sum(closed_by_server(conn, deadline) for conn in slow)
        seconds = time.monotonic() - start
    finally:
        for conn in slow:
            conn.close()
    latency = [t for status, t in probes if status == 200]
    return {
        "slow_connections": args.slow,
        "health_p50_ms": round(1000 * percentile(latency, 50), 1),
        "health_p99_ms": round(1000 * percentile(latency, 99), 1),
        "health_errors": sum(status != 200 for status, _ in probes),
        "closed_by_server": closed,
        "seconds_until_all_closed": round(seconds, 1),
    }


def flood_phase(port: int, limits: dict, args: argparse.Namespace, pid: int) -> dict[str, Any]:
    big = largest_request(limits, args.paragraphs)
    stop = threading.Event()
    flood_statuses: list[int] = []

    def flooder() -> None:
        while not stop.is_set():
            flood_statuses.append(timed_post(port, big, args.flood_s + 5)[0])

    threads = [threading.Thread(target=flooder, daemon=True) for _ in range(args.flooders)]
    for thread in threads:
        thread.start()
    small: list[tuple[int, float]] = []
    end, peak = time.monotonic() + args.flood_s, 0.0
    while time.monotonic() < end:
        small.append(timed_post(port, {"text": SMALL, "beam_size": 1}, 30))
        peak = max(peak, rss_mib(pid) or 0.0)
    stop.set()
    for thread in threads:
        thread.join(args.flood_s + 10)
    idle = wait_idle(port, limits)
    latency = [t for status, t in small if status == 200]
    return {
        "small_requests": len(small),
        "small_p50_ms": round(1000 * percentile(latency, 50), 1),
        "small_p95_ms": round(1000 * percentile(latency, 95), 1),
        "small_errors": sum(status != 200 for status, _ in small),
        "flood_answers": {str(s): flood_statuses.count(s) for s in sorted(set(flood_statuses))},
        "idle_after_s": idle,
        "rss_mib_peak": round(peak, 1),
        "rss_mib_after": round(rss_mib(pid) or 0.0, 1),
    }


def wait_idle(port: int, limits: dict) -> float:
    """Seconds until a small heavy-lane request (8 x 50 characters at the largest beam) is answered: the
    backlog of the flood has drained."""
    start = time.monotonic()
    probe = {"texts": ["Un chat dort sur le canapé du salon, près du feu."] * 8, "beam_size": limits["max_beam"]}
    while time.monotonic() - start < 600:
        if timed_post(port, probe, 60)[0] == 200:
            break
    return round(time.monotonic() - start, 1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="artifacts/default")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=32)
    p.add_argument("--slow", type=int, default=256)
    p.add_argument("--probes", type=int, default=200)
    p.add_argument("--client-timeout-s", type=float, default=5.0)
    p.add_argument("--floods", type=int, default=5)
    p.add_argument("--flooders", type=int, default=8)
    p.add_argument("--flood-s", type=float, default=20.0)
    p.add_argument("--paragraphs", action="store_true", help="flood with the largest answers (see above)")
    p.add_argument("--serve-arg", action="append", default=[], help="a flag for the server; repeatable")
    p.add_argument("--out")
    args = p.parse_args(argv)
    port = free_loopback_port()
    with tempfile.TemporaryDirectory() as work:
        flags = [f"--model={args.model}", f"--workers={args.workers}", f"--threads={args.threads}"]
        flags += [f"--client-timeout-s={args.client_timeout_s}", f"--request-timeout-s={args.flood_s}", *args.serve_arg]
        proc = launch_server(flags, port, Path(work) / "server.log")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/v1/model")
            limits = json.loads(conn.getresponse().read())["limits"]
            report: dict[str, Any] = {"model": args.model, "paragraphs": args.paragraphs, "serve_args": args.serve_arg}
            report["rss_mib_start"] = round(rss_mib(proc.pid) or 0, 1)
            report["slow"] = slow_phase(port, args)
            print(json.dumps(report["slow"]), flush=True)
            report["floods"] = []
            for _ in range(args.floods):
                report["floods"].append(flood_phase(port, limits, args, proc.pid))
                print(json.dumps(report["floods"][-1]), flush=True)
        finally:
            stop_server(proc)
    first, last = report["floods"][0]["rss_mib_after"], report["floods"][-1]["rss_mib_after"]
    growth = report["rss_growth_last_over_first"] = round(last / first, 3) if first else None
    print(f"RSS after flood 1: {first} MiB, after flood {args.floods}: {last} MiB (x{growth})")
    out = Path(args.out or RESULTS / f"abuse-vm-{dt.date.today().isoformat()}.json")
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
