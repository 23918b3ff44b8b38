"""Load benchmark of the HTTP server: throughput, latency percentiles, errors and server memory.

Starts ``python -m serve`` with every package given (one server for all their language pairs) on a free
127.0.0.1 port, once per ``--quantize`` setting (or uses ``--url``), reads the pairs from
``/v1/languages``, then for each workload and concurrency level (default 1, 8, 32 clients) sends a fixed
number of ``POST /v1/translate`` requests from a bounded pool of threads with keep-alive connections and
timeouts. Request i goes to pair i mod the number of pairs (mixed pairs); its text is, by workload:

- ``sentence``: one source sentence of that pair;
- ``paragraph``: 3, 4 or 5 consecutive source sentences of that pair, as one text (split by the server).

Sentences come from each pair's ``data/multi30k/test_2016_flickr.<source>``. Prints a table per run, with the
mean sentences per decode call of each level (from the server's ``/metrics``; n/a when they are off), and
writes JSON to ``bench/results/serve-<host>-<date>.json``. Only loopback addresses are accepted.

    python -m bench.serve_bench --model artifacts/default artifacts/en-de artifacts/en-fr artifacts/fr-en \
        --quantize none int8 --workloads paragraph sentence --requests 200 --clients 1 8 32
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlsplit

from bench.serve_load import Client, LevelResult, rss_mib, run_level
from serve.launcher import ServerStartError, free_loopback_port, stop_server
from serve.launcher import start_server as start_server_process
from translator.config import QUANTIZATIONS

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
WORKLOADS = ("sentence", "paragraph", "default-beam")

__all__ = ["RESULTS", "free_loopback_port", "launch_server", "main"]


def load_sentences(src_lang: str, limit: int) -> tuple[list[str], str]:
    """The source side of test_2016_flickr in ``src_lang``, else a built-in (German) list."""
    candidate = REPO / "data" / "multi30k" / f"test_2016_flickr.{src_lang}"
    if candidate.is_file():
        lines = [line.strip() for line in candidate.read_text(encoding="utf-8").splitlines() if line.strip()]
        if lines:
            return lines[:limit], str(candidate.relative_to(REPO))
    return FALLBACK, "built-in list"


def start_server(args: argparse.Namespace, quantize: str, port: int, log: Path) -> subprocess.Popen:
    """Start ``python -m serve`` with every package and this benchmark's settings (see ``launch_server``)."""
    names = (
        "workers", "threads", "torch_threads", "decode_slots", "max_batch_size", "max_wait_ms", "route_pairs", "device"
    )  # fmt: skip
    flags = [f"--{name.replace('_', '-')}={getattr(args, name)}" for name in names]
    return launch_server(["--model", *args.model, f"--quantize={quantize}", *flags], port, log)


def launch_server(flags: list[str], port: int, log: Path) -> subprocess.Popen:
    """``serve.launcher.start_server`` with ``flags``, waiting up to 300 s (the model check runs first); exit
    with the log's tail if the server does not come up."""
    try:
        return start_server_process(flags, port, log, timeout_s=300)
    except ServerStartError as err:
        raise SystemExit(f"server failed to start: {err}") from None


def get_json(host: str, port: int, path: str) -> dict:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("GET", path)
    return json.loads(conn.getresponse().read())


def payloads(pairs: list[dict], workload: str, beam: int) -> Callable[[int], dict]:
    """Request i's body: pair i mod len(pairs); one sentence, or 3-5 consecutive ones as one paragraph.
    ``default-beam``: single sentences, where every other request leaves ``beam_size`` out and the others
    name the pair's default beam (``pair["default_beam"]``), so all of them decode alike."""

    def body(i: int) -> dict:
        pair = pairs[i % len(pairs)]
        sentences = pair["sentences"]
        count = 3 + i % 3 if workload == "paragraph" else 1
        start = (i * 7) % len(sentences)
        text = " ".join(sentences[(start + k) % len(sentences)] for k in range(count))
        request = {"text": text, "source": pair["source"], "target": pair["target"], "beam_size": beam}
        if workload == "default-beam":
            request["beam_size"] = pair["default_beam"]
            if (i // len(pairs)) % 2 == 0:
                del request["beam_size"]
        return request

    return body


def bench_server(host: str, port: int, pid: int | None, args: argparse.Namespace) -> dict:
    """Every workload at every concurrency level against one running server."""
    pairs = get_json(host, port, "/v1/languages")["pairs"]
    for pair in pairs:
        pair["sentences"], pair["sentences_from"] = load_sentences(pair["source"], 2000)
        model = get_json(host, port, f"/v1/model?source={pair['source']}&target={pair['target']}")
        pair["default_beam"] = model["decode"]["beam_size"]
    warm = Client(host, port, args.timeout)
    for i in range(2 * len(pairs)):  # every package decodes once before the clock starts
        warm.post("/v1/translate", payloads(pairs, "paragraph", args.beam_size)(i))
    idle = rss_mib(pid)
    args.server_pid = pid
    runs = {}
    for workload in args.workloads:
        body = payloads(pairs, workload, args.beam_size)
        runs[workload] = [run_level(host, port, clients, body, args) for clients in args.clients]
    info = [{k: p.get(k) for k in ("source", "target", "model", "sentences_from")} for p in pairs]
    return {"pairs": info, "idle_rss_mib": None if idle is None else round(idle, 1), "workloads": runs}


def print_table(results: list[LevelResult]) -> None:
    """The figures as an aligned table (also valid Markdown)."""
    head = ["clients", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "server RSS MiB"]
    head.append("sentences/decode")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---:" for _ in head) + "|")
    for r in results:
        rss = "n/a" if r.server_rss_mib is None else f"{r.server_rss_mib:.0f}"
        batch = "n/a" if r.sentences_per_decode is None else f"{r.sentences_per_decode:.1f}"
        row = [r.clients, r.requests, r.errors, f"{r.throughput_rps:.1f}", r.p50_ms, r.p95_ms, r.p99_ms, rss, batch]
        print("| " + " | ".join(str(v) for v in row) + " |")


def speedup(results: list[LevelResult]) -> float:
    """Throughput at the most clients over throughput at the fewest."""
    return results[-1].throughput_rps / results[0].throughput_rps if results[0].throughput_rps else float("nan")


def report(args: argparse.Namespace, runs: dict[str, dict]) -> None:
    """Print a table per quantization and workload, and write the JSON report."""
    for quantize, run in runs.items():
        names = ", ".join(f"{p['source']}->{p['target']}" for p in run["pairs"])
        print(f"\n{quantize}: {len(run['pairs'])} packages ({names}), idle RSS {run['idle_rss_mib']} MiB")
        for workload, results in run["workloads"].items():
            print(f"\n{workload}, beam {args.beam_size}, {os.cpu_count()} CPUs:")
            print_table(results)
            print(f"throughput at {results[-1].clients} clients / at {results[0].clients}: {speedup(results):.1f}x")
    data = dict(
        host=platform.node(),
        date=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        cpus=os.cpu_count(),
        settings={k: v for k, v in vars(args).items() if k != "out"},
        runs={
            quantize: {
                **{k: v for k, v in run.items() if k != "workloads"},
                "workloads": {
                    name: {"speedup": round(speedup(levels), 2), "levels": [asdict(r) for r in levels]}
                    for name, levels in run["workloads"].items()
                },
            }
            for quantize, run in runs.items()
        },
    )
    out = Path(args.out) if args.out else RESULTS / f"serve-{platform.node()}-{dt.date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", nargs="+", default=["artifacts/default"], help="packages to serve (not with --url)")
    p.add_argument("--quantize", nargs="+", default=["none"], choices=QUANTIZATIONS, help="one server each")
    p.add_argument("--url", help="benchmark a running server on loopback, e.g. http://127.0.0.1:8080")
    p.add_argument("--server-pid", type=int, help="with --url: gunicorn master pid, for memory figures")
    p.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=WORKLOADS)
    p.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    p.add_argument("--requests", type=int, default=200, help="requests per concurrency level")
    p.add_argument("--beam-size", type=int, default=1)
    p.add_argument("--timeout", type=float, default=60.0, help="per-request timeout, seconds")
    p.add_argument("--level-timeout", type=float, default=180.0, help="stop sending after this many seconds")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=32)
    p.add_argument("--torch-threads", type=int, default=1)
    p.add_argument("--decode-slots", type=int, default=0, help="decode calls at once per worker (0: cores / workers)")
    p.add_argument("--route-pairs", choices=("true", "false"), default="false", help="nginx sends a pair to one worker")
    p.add_argument("--device", default="cpu", help="where the server decodes: cpu, cuda or cuda:N")
    p.add_argument("--max-batch-size", type=int, default=32)
    p.add_argument("--max-wait-ms", type=float, default=20.0)
    p.add_argument("--out", help="JSON output path (default bench/results/serve-<host>-<date>.json)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark against started (or a given) loopback server(s) and write the JSON report."""
    args = parse_args(argv)
    runs: dict[str, dict] = {}
    if args.url:
        parts = urlsplit(args.url)
        host, port = parts.hostname or "", parts.port or 80
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("error: only loopback servers may be benchmarked")
        runs["given server"] = bench_server(host, port, args.server_pid, args)
    for quantize in [] if args.url else args.quantize:
        port = free_loopback_port()
        proc = start_server(args, quantize, port, Path(tempfile.mkdtemp(prefix="serve-bench-")) / "server.log")
        try:
            runs[quantize] = bench_server("127.0.0.1", port, proc.pid, args)
        finally:
            stop_server(proc)
    report(args, runs)
    failed = any(r.errors for run in runs.values() for levels in run["workloads"].values() for r in levels)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
