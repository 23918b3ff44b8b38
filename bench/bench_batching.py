"""How much batching can buy a server on this CPU: decode time per call against batch size, and the
throughput ratio (many clients against one) that decoding alone allows.

For each package, consecutive sentences of its pair's test_2016_flickr (the order requests bring them, not
sorted by length) are decoded in calls of B sentences, for every ``--batches`` B, with ``--threads`` torch
threads (1: one server worker's share); each figure is the median of ``--repeats`` runs after a warm-up.
The call times are fitted with a line, ms(B) = fixed + B * marginal, by least squares.

The ratio: one client of a server with ``--workers`` single-threaded workers keeps one worker busy with
calls of ``--per-request`` sentences (a 3-5 sentence paragraph: 4), while many clients can at best keep every
worker busy with calls of the largest batch. So

    ratio <= workers * (sentences/s at the largest batch) / (sentences/s at per-request sentences),

an upper bound: HTTP handling, JSON and sentence splitting cost the same per sentence at any load and only
lower it. Prints a table per package and writes JSON to ``bench/results/batching-<host>-<date>.json``.

    python -m bench.bench_batching --model artifacts/default artifacts/en-de --quantize int8
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
from pathlib import Path
from typing import Any

import torch

from bench.bench_decode import median_seconds
from bench.serve_bench import RESULTS, load_sentences
from serve.service import pair_of
from translator.config import QUANTIZATIONS
from translator.errors import bad_input
from translator.translate import Translator


def fit_line(batches: list[int], ms: list[float]) -> tuple[float, float]:
    """Least-squares line through (batch, ms per call) -> (fixed ms per call, marginal ms per sentence)."""
    n = len(batches)
    if n < 2 or len(set(batches)) < 2:
        raise ValueError("a line needs at least two different batch sizes")
    mean_b, mean_ms = sum(batches) / n, sum(ms) / n
    slope = sum((b - mean_b) * (m - mean_ms) for b, m in zip(batches, ms)) / sum((b - mean_b) ** 2 for b in batches)
    return mean_ms - slope * mean_b, slope


def ratio_bound(per_second: dict[int, float], per_request: int, workers: int) -> float:
    """``workers`` x sentences/s at the largest batch / sentences/s at ``per_request`` (both measured)."""
    if per_request not in per_second:
        raise ValueError(f"--per-request {per_request} must be one of the measured batch sizes")
    return workers * per_second[max(per_second)] / per_second[per_request]


def measure(translator: Translator, sentences: list[str], batch: int, beam: int, repeats: int) -> dict[str, float]:
    """Decode ``sentences`` in consecutive calls of ``batch`` -> ms per call and sentences/s (medians)."""
    calls = [sentences[i : i + batch] for i in range(0, len(sentences) - batch + 1, batch)]
    if not calls:
        raise ValueError(f"batch {batch} is larger than the {len(sentences)} sentences")

    def run() -> None:
        for texts in calls:
            translator.translate(texts, beam_size=beam, batch_size=batch)

    translator.translate(calls[0], beam_size=beam, batch_size=batch)  # warm-up
    seconds, _, _ = median_seconds(run, repeats)
    return {"ms_per_call": 1000 * seconds / len(calls), "sentences_per_s": len(calls) * batch / seconds}


def bench_package(path: str, args: argparse.Namespace) -> dict[str, Any]:
    """Every batch size for one package, the fitted line and the ratio bound."""
    translator = Translator.load(path, quantize=args.quantize)
    source, target = pair_of(translator)
    sentences, sentences_from = load_sentences(source, args.sentences)
    rows = {b: measure(translator, sentences, b, args.beam, args.repeats) for b in args.batches}
    fixed, marginal = fit_line(list(rows), [r["ms_per_call"] for r in rows.values()])
    per_second = {b: r["sentences_per_s"] for b, r in rows.items()}
    return {
        "model": path,
        "pair": f"{source}-{target}",
        "sentences_from": sentences_from,
        "batches": {str(b): {k: round(v, 2) for k, v in r.items()} for b, r in rows.items()},
        "fixed_ms_per_call": round(fixed, 2),
        "marginal_ms_per_sentence": round(marginal, 2),
        "ratio_bound": round(ratio_bound(per_second, args.per_request, args.workers), 2),
    }


def print_report(report: dict[str, Any], args: argparse.Namespace) -> None:
    print(f"\n{report['model']} ({report['pair']}), {args.quantize}, beam {args.beam}, {args.threads} thread(s)")
    print("| batch | ms per call | sentences/s |\n| ---: | ---: | ---: |")
    for batch, row in report["batches"].items():
        print(f"| {batch} | {row['ms_per_call']:.1f} | {row['sentences_per_s']:.1f} |")
    print(
        f"fit: {report['fixed_ms_per_call']:.1f} ms per call + {report['marginal_ms_per_sentence']:.2f} ms per "
        f"sentence; {args.workers} workers, {args.per_request} sentences per request: "
        f"ratio <= {report['ratio_bound']:.2f}x"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", nargs="+", required=True, help="model packages")
    p.add_argument("--quantize", default="int8", choices=QUANTIZATIONS)
    p.add_argument("--batches", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32, 64])
    p.add_argument("--sentences", type=int, default=256, help="test sentences per batch size")
    p.add_argument("--beam", type=int, default=1)
    p.add_argument("--threads", type=int, default=1, help="torch threads (1: one worker of the server)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--per-request", type=int, default=4, help="sentences one client's request brings")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", help="JSON path (default bench/results/batching-<host>-<date>.json)")
    args = p.parse_args(argv)
    if min(args.batches) < 1 or args.sentences < max(args.batches) or args.threads < 1 or args.repeats < 1:
        p.error("batches and threads must be >= 1, and --sentences at least the largest batch")
    if args.per_request not in args.batches:
        p.error("--per-request must be one of --batches")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        reports = [bench_package(path, args) for path in args.model]
    except (OSError, ValueError) as err:  # a package that does not load
        return bad_input(err)
    for report in reports:
        print_report(report, args)
    out = Path(args.out or RESULTS / f"batching-{platform.node()}-{dt.date.today()}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k not in ("model", "out")}
    out.write_text(json.dumps({"settings": settings, "packages": reports}, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
