"""Served cost of a new model against the one it replaces, side by side in one run.

    python -m bench.bench_cost --model artifacts/best-de-en --against artifacts/default \
        [--beam 5] [--batch 64] [--sentences 512] [--repeats 5] [--threads 2]

Both packages load with the same weight scheme (fp32) on the same device and thread count, and decode the
same first ``--sentences`` val sources (the new package's pair) with the same beam and batch size. The timed
runs alternate, new then old, ``--repeats`` times after one warm-up each, so a change in the machine's load
falls on both; each figure is the median. Printed: ms per sentence of each, the new/old ratio and both BLEUs.
``--against-beam`` decodes the old package at another beam (a student at beam 1 against its teacher at beam
5). The row goes to ``experiments/results.jsonl``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

from bench.bench_decode import sync
from experiments.record import RESULTS, append
from experiments.val_set import compared_packages
from translator.errors import bad_input
from translator.evaluate import score
from translator.translate import Translator


def timed(translator: Translator, sources: list[str], beam: int, batch: int) -> tuple[float, list[str]]:
    """(seconds, output texts) of one decode of ``sources``."""
    start = time.perf_counter()
    out = translator.translate(sources, beam_size=beam, batch_size=batch)
    sync(translator.device)
    return time.perf_counter() - start, [t.text for t in out]


def side_by_side(models: dict[str, tuple[Translator, int]], sources: list[str], batch: int, repeats: int) -> dict:
    """name -> (median seconds, output) for every model (translator, beam), the runs interleaved."""
    runs: dict[str, list[float]] = {name: [] for name in models}
    outputs: dict[str, list[str]] = {}
    for translator, beam in models.values():
        translator.translate(sources[:batch], beam_size=beam, batch_size=batch)  # warm-up
    for _ in range(repeats):
        for name, (translator, beam) in models.items():
            seconds, outputs[name] = timed(translator, sources, beam, batch)
            runs[name].append(seconds)
    return {name: (statistics.median(runs[name]), outputs[name]) for name in models}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="the new package")
    p.add_argument("--against", default="artifacts/default", help="the package it replaces")
    p.add_argument("--data-dir", default="data/multi30k", type=Path, help="where val.<lang> is read")
    p.add_argument("--beam", type=int, default=5)
    p.add_argument("--against-beam", type=int, default=None, help="the old package's beam (default --beam)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--sentences", type=int, default=512)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--results", default=RESULTS, type=Path)
    return p.parse_args(argv)


def load(args: argparse.Namespace) -> tuple[Translator, Translator, list[str], list[str]]:
    """Both packages (fp32, same device), which must translate the same pair, and the val sources and
    references (ValueError or OSError otherwise)."""
    for name in ("beam", "against_beam", "batch", "sentences", "repeats"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    new, old, sources, refs = compared_packages(args.model, args.against, args.data_dir, args.sentences, "none")
    if not sources:
        raise ValueError(f"{args.data_dir}/val.{new.metadata['src_lang']} is empty")
    return new, old, sources, refs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    try:
        new, old, sources, refs = load(args)
    except (OSError, ValueError) as err:
        return bad_input(err)
    old_beam = args.against_beam or args.beam
    models = {"new": (new, args.beam), "old": (old, old_beam)}
    figures = side_by_side(models, sources, args.batch, args.repeats)
    ms = {name: 1000 * seconds / len(sources) for name, (seconds, _) in figures.items()}
    bleu = {name: score(out, refs)["bleu"] for name, (_, out) in figures.items()}
    print(f"{len(sources)} val sentences, fp32 on {new.device.type}, batch {args.batch}, "
          f"{torch.get_num_threads()} threads, median of {args.repeats} interleaved runs")  # fmt: skip
    for name, path, beam in (("new", args.model, args.beam), ("old", args.against, old_beam)):
        print(f"  {path} (beam {beam}): {ms[name]:.2f} ms/sentence, BLEU {bleu[name]:.2f}")
    print(f"  new/old time: {ms['new'] / ms['old']:.2f}x")
    append({"kind": "decode", "name": "served cost side by side", "model": args.model, "against": args.against,
            "beam": args.beam, "against_beam": old_beam, "batch": args.batch, "sentences": len(sources),
            "threads": torch.get_num_threads(), "repeats": args.repeats, "ms_per_sentence": ms["new"],
            "against_ms_per_sentence": ms["old"], "ratio": ms["new"] / ms["old"], "bleu": bleu["new"],
            "against_bleu": bleu["old"]}, args.results)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
