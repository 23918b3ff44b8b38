"""Speed benchmark (``make bench``): training throughput, decoding speed and BLEU (fp32, int8 and bf16), package
size and load time, on whatever device is present (CUDA if available, else the CPU).

(a) training: target tokens/s and peak memory of CONFIG's model over ``--train-steps`` optimizer steps on
    real training batches, with ``input_feeding`` true and false (``bench.bench_train``: the real
    LightningModule step under a Trainer, one child process each); (b) decoding the first ``--sentences``
    sentences of test_2016_flickr: sentences/s, target tokens/s and BLEU for greedy and beam 5 at batch 64,
    and at batch 1 on the first ``--batch1-sentences`` only, fp32, int8 and bf16 (``bench.bench_decode``); (c) the
    package's size on disk and its load time. Each figure is the median of ``--repeats`` runs after a warm-up.
    Prints tables and writes JSON to ``bench/results/<host>-<date>.json``. Numbers, not tests: the machine's
    other load (recorded as the load average) moves them.

    python -m bench.bench --model artifacts/default --config configs/default.yaml [--repeats 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch

from bench.bench_decode import decode_cases, package_figures, run_decoding
from training.config import load_config
from training.multi30k import prepare_corpus
from training.sources import read_split
from translator.config import QUANTIZATIONS
from translator.package import read_metadata

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
SPLIT = "test_2016_flickr"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="artifacts/default", help="model package (its tokenizer is used throughout)")
    p.add_argument("--config", default="configs/default.yaml", help="experiment config (model, batches, precision)")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per figure (the median is reported)")
    p.add_argument("--train-steps", type=int, default=10, help="optimizer steps per timed training run")
    p.add_argument("--warmup-steps", type=int, default=2, help="untimed optimizer steps first")
    p.add_argument("--sentences", type=int, default=0, help=f"{SPLIT} sentences decoded at batch 64 (0: all)")
    p.add_argument("--batch1-sentences", type=int, default=100, help="sentences decoded at batch 1 (a prefix)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--quantize", nargs="+", default=list(QUANTIZATIONS), choices=QUANTIZATIONS, help="weight schemes")
    p.add_argument("--skip-train", action="store_true", help="decoding and package figures only")
    p.add_argument("--skip-decode", action="store_true", help="training figures only")
    p.add_argument("--out", help=f"JSON path (default {RESULTS.relative_to(REPO)}/<host>-<date>.json)")
    return p.parse_args(argv)


def run_training(args: argparse.Namespace) -> list[dict[str, Any]]:
    """bench.bench_train for input_feeding true and false, each in its own process (own peak RSS)."""
    results = []
    for feeding in ("true", "false"):
        cmd = [sys.executable, "-m", "bench.bench_train", "--config", args.config, "--model", args.model]
        cmd += ["--input-feeding", feeding, "--steps", str(args.train_steps), "--warmup", str(args.warmup_steps)]
        cmd += ["--repeats", str(args.repeats), "--threads", str(args.threads)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO)
        if proc.returncode != 0:
            raise SystemExit(f"error: training benchmark failed:\n{proc.stderr[-3000:]}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        row = results[-1]
        print(f"  input_feeding {feeding:>5}: {row['tokens_per_s']:8.1f} target tokens/s", flush=True)
    return results


def load_test_split(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """Sources and references of test_2016_flickr for the config's pair (fetched if missing)."""
    data = load_config(args.config).data
    if data.multi30k and not (Path(data.data_dir) / f"{SPLIT}.{data.src_lang}").is_file():
        prepare_corpus(data)
    pairs = read_split(data, "test")
    return [s for s, _ in pairs], [t for _, t in pairs]


def print_tables(report: dict[str, Any]) -> None:
    """The figures as Markdown tables."""
    print(f"\n{report['device_name']}, torch {report['torch']}, {report['threads']} threads, load {report['load']}")
    if report["train"]:
        print("\n| input feeding | precision | steps | target tokens/step | target tokens/s | peak memory MiB |")
        print("|---|---|---:|---:|---:|---:|")
        for r in report["train"]:
            print(
                f"| {r['input_feeding']} | {r['precision']} | {r['steps']} | {r['target_tokens_per_step']} "
                f"| {r['tokens_per_s']:.0f} | {r['peak_memory_mib']:.0f} ({r['peak_memory_kind']}) |"
            )
    if report["decode"]:
        print(f"\n{SPLIT} (batch 1 rows: the first sentences only, see 'sentences')\n")
        print("| weights | search | batch | sentences | sent/s | target tok/s | BLEU |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for r in report["decode"]:
            weights = "fp32" if r["quantize"] == "none" else r["quantize"]
            print(
                f"| {weights} ({r['device']}) | {r['search']} | {r['batch']} | {r['sentences']} "
                f"| {r['sentences_per_s']:.1f} | {r['target_tokens_per_s']:.0f} | {r['bleu']:.2f} |"
            )
    pkg = report["package"]
    if pkg:
        loads = ", ".join(
            f"{q}: {v['seconds']:.2f} s, {v['weights_in_memory_mib']:.1f} MiB weights" for q, v in pkg["load"].items()
        )
        print(f"\npackage {pkg['dir']}: {pkg['size_mib']:.1f} MiB on disk; load {loads}")


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe(args: argparse.Namespace, device: str) -> dict[str, Any]:
    """Where and with what the figures were taken."""
    meta = read_metadata(Path(args.model))
    name = torch.cuda.get_device_name(0) if device == "cuda" else cpu_name()
    return {
        "host": platform.node(),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "device": device,
        "device_name": name,
        "cpus": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "load": [round(x, 2) for x in os.getloadavg()],
        "model": {k: meta.get(k) for k in ("name", "parameters", "src_lang", "tgt_lang", "checkpoint", "scores")},
        "options": vars(args),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    report = describe(args, device)
    start = time.perf_counter()
    print("training ...", flush=True)
    report["train"] = [] if args.skip_train else run_training(args)
    report["decode"], report["package"] = [], {}
    if not args.skip_decode:
        sources, refs = load_test_split(args)
        n = args.sentences or len(sources)
        print(f"decoding {SPLIT} ...", flush=True)
        cases = decode_cases(args.quantize, n, min(args.batch1_sentences, n))
        report["decode"] = run_decoding(args.model, cases, sources, refs, args.repeats, device)
        report["package"] = package_figures(args.model, args.quantize, args.repeats, device)
    report["load_end"] = [round(x, 2) for x in os.getloadavg()]
    report["seconds"] = round(time.perf_counter() - start, 1)
    print_tables(report)
    out = Path(args.out) if args.out else RESULTS / f"{platform.node()}-{dt.date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
