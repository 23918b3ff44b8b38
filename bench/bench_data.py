"""Does the input pipeline hold at any corpus size? Synthetic corpora through the real data module.

    python -m bench.bench_data --sizes 100000 1000000 5000000      (make bench-data)

For each size the benchmark writes a synthetic corpus of that many pairs (TSV, random words of a fixed
vocabulary with realistic lengths, a few duplicates; never committed) in a temporary folder and runs, each in
a fresh process so that its peak RSS is its own:

1. ``spm``: SentencePiece training on a sample (``data.spm_input_sentences``) of the streamed corpus;
2. ``encode``: cleaning and encoding into memory-mapped shards (``training.shards.build_shards``):
   pairs/s and shard size on disk;
3. ``epoch``: ``TranslationDataModule.setup`` and one epoch of training batches from ``train_dataloader``
   (bucketing, reading from the shards, collating): time to the first batch, seconds for the epoch;
4. with ``--guided``: ``links``, the guided-alignment store built from a links file of word k to word k
   (``training.guided_store.build_store``), and ``guided``, the epoch of stage 3 with those links in every
   batch (``train.guided_alignment_weight`` 0.5).

Prints a table and writes JSON to ``bench/results/data-<host>-<date>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
WORDS = 5000  # synthetic vocabulary per side
STAGES = ("spm", "encode", "epoch")
GUIDED_STAGES = ("links", "guided")


def write_corpus(path: Path, pairs: int, seed: int = 0) -> None:
    """``pairs`` lines of ``source<TAB>target``: 3 to 30 words (Zipf-like word choice), 1 % repeated lines."""
    rng = random.Random(seed)
    src_vocab = [f"w{k}" for k in range(WORDS)]
    tgt_vocab = [f"m{k}" for k in range(WORDS)]
    weights = [1 / (k + 1) for k in range(WORDS)]
    with open(path, "w", encoding="utf-8") as out:
        previous = "a\tb\n"
        for _ in range(pairs):
            if rng.random() < 0.01:
                out.write(previous)
                continue
            words = rng.choices(range(WORDS), weights=weights, k=rng.randint(3, 30))
            previous = " ".join(src_vocab[w] for w in words) + "\t" + " ".join(tgt_vocab[w] for w in words) + "\n"
            out.write(previous)


def write_links(corpus: Path, path: Path) -> None:
    """One Pharaoh line per corpus pair: word k to word k (the synthetic pairs translate word for word)."""
    with open(corpus, encoding="utf-8") as pairs, open(path, "w", encoding="utf-8") as out:
        for line in pairs:
            words = len(line.split("\t", 1)[0].split())
            out.write(" ".join(f"{k}-{k}" for k in range(words)) + "\n")


def bench_config(folder: Path, corpus: Path, valid: Path, links: Path | None = None) -> Path:
    """The config of the benchmark run (name ``bench``) in ``folder``; with ``links``, its guided form."""
    config: dict[str, Any] = {
        "name": "bench",
        "data": {
            "src_lang": "de",
            "tgt_lang": "en",
            "train": str(corpus),
            "valid": str(valid),
            "vocab_size": 8000,
            "spm_input_sentences": 200_000,
        },
        "train": {"batch_tokens": 4096, "max_batch_sentences": 256},
    }
    if links is not None:
        config["data"]["alignment_links"] = str(links)
        config["train"]["guided_alignment_weight"] = 0.5
    path = folder / ("bench-guided.yaml" if links is not None else "bench.yaml")
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def run_stage(stage: str, config: Path) -> dict[str, Any]:
    """One stage in the current process (the child); returns its figures with the peak RSS."""
    from training.config import load_config
    from training.datamodule import TranslationDataModule
    from training.guided_store import build_store
    from training.paths import shard_dir, spm_dir
    from training.shards import build_shards
    from training.sources import split_paths
    from training.vocab import train_spm
    from translator.tokenizer import Tokenizer

    cfg = load_config(config)
    paths = split_paths(cfg.data, "train")
    start = time.perf_counter()
    row: dict[str, Any] = {}
    if stage == "spm":
        train_spm(cfg.data, paths, spm_dir(cfg))
    elif stage == "encode":
        meta = build_shards(cfg.data, paths, Tokenizer.load(spm_dir(cfg)), shard_dir(cfg))
        size = sum(p.stat().st_size for p in shard_dir(cfg).iterdir())
        row = {"pairs_kept": meta["pairs"], "clean": meta["clean"], "shard_mib": round(size / 2**20, 1)}
    elif stage == "links":
        folder = build_store(cfg.data, paths, Tokenizer.load(spm_dir(cfg)), shard_dir(cfg))
        row["store_mib"] = round(sum(p.stat().st_size for p in folder.iterdir()) / 2**20, 1)
    else:
        datamodule = TranslationDataModule(cfg)
        datamodule.setup("fit")
        batches = iter(datamodule.train_dataloader())
        next(batches)
        row["first_batch_s"] = round(time.perf_counter() - start, 2)
        row["batches"] = 1 + sum(1 for _ in batches)
    row["seconds"] = round(time.perf_counter() - start, 2)
    row["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return row


def measure(size: int, work: Path, guided: bool = False) -> dict[str, Any]:
    """All stages for one corpus size, each in a child process (the guided ones after the others)."""
    corpus, valid = work / "train.tsv", work / "valid.tsv"
    write_corpus(corpus, size)
    write_corpus(valid, 500, seed=1)
    plain = bench_config(work, corpus, valid)
    if guided:
        write_links(corpus, work / "train.links")
        guided_config = bench_config(work, corpus, valid, work / "train.links")
    result: dict[str, Any] = {"pairs": size, "corpus_mib": round(corpus.stat().st_size / 2**20, 1)}
    for stage in STAGES + (GUIDED_STAGES if guided else ()):
        config = guided_config if stage in GUIDED_STAGES else plain
        child = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.bench_data",
                "--stage",
                "epoch" if stage == "guided" else stage,
                "--config",
                str(config),
            ],  # fmt: skip
            cwd=work,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
        )
        if child.returncode != 0:
            raise SystemExit(f"error: stage {stage} at {size} pairs failed: {child.stderr.strip()[-2000:]}")
        result[stage] = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"  {size:>9} pairs  {stage:<6} {json.dumps(result[stage])}", flush=True)
    result["encode"]["pairs_per_s"] = round(size / result["encode"]["seconds"])
    return result


def print_table(rows: list[dict[str, Any]]) -> None:
    print("\n| pairs | data | encode pairs/s | shards MiB | encode peak RSS MiB | data module peak RSS MiB |", end="")
    print(" first batch s | epoch s (batches) | spm s |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        enc, epoch = r["encode"], r["epoch"]
        print(
            f"| {r['pairs']:,} | plain | {enc['pairs_per_s']:,} | {enc['shard_mib']} | {enc['peak_rss_mib']} |"
            f" {epoch['peak_rss_mib']} | {epoch['first_batch_s']} | {epoch['seconds']} ({epoch['batches']:,}) |"
            f" {r['spm']['seconds']} |"
        )
        if "guided" in r:
            links, guided = r["links"], r["guided"]
            print(
                f"| {r['pairs']:,} | guided | links {links['seconds']} s | store {links['store_mib']} |"
                f" {links['peak_rss_mib']} | {guided['peak_rss_mib']} | {guided['first_batch_s']} |"
                f" {guided['seconds']} ({guided['batches']:,}) | |"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 5_000_000])
    parser.add_argument("--guided", action="store_true", help="also the guided-alignment store and epoch")
    parser.add_argument("--out", help="JSON file (default bench/results/data-<host>-<date>.json)")
    parser.add_argument(
        "--stage", choices=STAGES + GUIDED_STAGES, help=argparse.SUPPRESS
    )  # one stage, in a child process
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage:
        print(json.dumps(run_stage(args.stage, Path(args.config))))
        return 0
    if any(size < 1000 for size in args.sizes):
        parser.error("--sizes must be at least 1000 pairs each")
    rows = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="bench-data-") as work:
            rows.append(measure(size, Path(work), args.guided))
    print_table(rows)
    host = "vm" if not os.environ.get("BENCH_HOST") else os.environ["BENCH_HOST"]
    out = Path(args.out or RESULTS / f"data-{host}-{dt.date.today().isoformat()}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {"cpu_count": os.cpu_count(), "platform": platform.platform(), "rows": rows}
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
