"""Resident memory of one process that decodes batches of changing shapes, per weight scheme.

``python -m bench.bench_shape_memory --model artifacts/default --quantize none int8 bf16`` decodes, per round,
32 groups of 1, 2, ..., 32 consecutive test_2016_flickr sentences from random offsets (so batch size and
source length change from call to call, as under a server's load) and prints the process's RSS after each
round and the sentences decoded per second, each scheme in a fresh child process (``--no-mkldnn``: with
torch's oneDNN kernels switched off). A figure that keeps rising round after round is memory held per
shape (e.g. kernel caches), not the model. JSON in ``bench/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.serve_load import rss_mib
from translator.config import QUANTIZATIONS

REPO = Path(__file__).resolve().parent.parent


def child(model: str, quantize: str, source: str, rounds: int, mkldnn: bool) -> dict[str, Any]:
    """In this process: load, then ``rounds`` rounds of 32 batches; RSS after loading and after each round,
    and sentences decoded per second over all rounds."""
    import torch

    from translator.translate import Translator

    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = mkldnn
    translator = Translator.load(model, quantize=quantize)
    sentences = Path(source).read_text(encoding="utf-8").splitlines()
    rng = random.Random(0)
    figures, began = [rss_mib(os.getpid()) or 0.0], time.perf_counter()
    for _ in range(rounds):
        for size in range(1, 33):
            start = rng.randrange(0, max(1, len(sentences) - size))
            translator.translate(sentences[start : start + size], beam_size=1, batch_size=size)
        figures.append(rss_mib(os.getpid()) or 0.0)
    rate = rounds * sum(range(1, 33)) / (time.perf_counter() - began)
    return {"rss_mib": [round(x, 1) for x in figures], "sentences_per_s": round(rate, 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="artifacts/default")
    p.add_argument("--source", default="data/multi30k/test_2016_flickr.de", help="one sentence per line")
    p.add_argument("--quantize", nargs="+", default=list(QUANTIZATIONS), choices=QUANTIZATIONS)
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--out", default="bench/results/shape-memory.json")
    p.add_argument("--no-mkldnn", action="store_true", help="torch.backends.mkldnn.enabled = False")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.model, args.child, args.source, args.rounds, not args.no_mkldnn)))
        return 0
    report: dict[str, dict[str, Any]] = {}
    for scheme in args.quantize:
        cmd = [sys.executable, "-m", "bench.bench_shape_memory", "--child", scheme, "--model", args.model]
        cmd += ["--source", args.source, "--rounds", str(args.rounds), *(["--no-mkldnn"] if args.no_mkldnn else [])]
        out = subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, text=True).stdout
        report[scheme] = json.loads(out.strip().splitlines()[-1])
        rss, rate = report[scheme]["rss_mib"], report[scheme]["sentences_per_s"]
        print(f"{scheme:>5}: {rate} sent/s; RSS MiB after load, then after each round: {rss}", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    meta = {"model": args.model, "mkldnn": not args.no_mkldnn}
    Path(args.out).write_text(json.dumps({**meta, "schemes": report}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
