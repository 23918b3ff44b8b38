"""Where the time of a one-sentence greedy decode goes, per weight scheme.

``python -m bench.bench_step --model artifacts/default`` translates test_2016_flickr sentences one at a time
(one thread, after a warm-up) with each scheme and prints the time per sentence and per decoder step (one
step per output piece, EOS included), then profiles a few more with ``torch.profiler``: the operators' self
time per sentence against the unprofiled wall time of the same sentences, the share of the matrix products
among them, and the operators that took most. What is left outside the operators is Python (search
bookkeeping, tokenization); the profiler inflates operator times a little, so a share can pass 1. JSON in
``bench/results/``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch
from torch.profiler import ProfilerActivity, profile

from translator.config import QUANTIZATIONS
from translator.translate import Translator

# Operators that multiply a weight matrix (fp32/bf16 through MKL or oneDNN, int8 through fbgemm).
MATRIX_OPS = {
    "aten::addmm",
    "aten::mm",
    "aten::bmm",
    "aten::mkldnn_rnn_layer",
    "quantized::linear_dynamic",
    "quantized::quantized_lstm_cell_dynamic",
    "aten::quantized_lstm",
}


def timed(translator: Translator, sentences: list[str]) -> dict[str, float]:
    """Wall time per sentence and per step (output pieces + EOS) over ``sentences``, one at a time."""
    began, steps = time.perf_counter(), 0
    for text in sentences:
        steps += len(translator.translate([text], beam_size=1)[0].target_tokens) + 1
    seconds = time.perf_counter() - began
    return {
        "ms_per_sentence": round(seconds / len(sentences) * 1e3, 2),
        "steps_per_sentence": round(steps / len(sentences), 2),
        "ms_per_step": round(seconds / steps * 1e3, 3),
    }


def profiled(translator: Translator, sentences: list[str], top: int = 6) -> dict[str, Any]:
    """Operator time per sentence (self CPU time of every operator under ``torch.profiler``) against the
    unprofiled wall time of the same sentences, the share of matrix products, and the ``top`` operators."""
    wall_ms = timed(translator, sentences)["ms_per_sentence"]
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for text in sentences:
            translator.translate([text], beam_size=1)
    ops = [(e.key, e.self_cpu_time_total, e.count) for e in prof.key_averages()]
    total = sum(us for _, us, _ in ops)
    matrix = sum(us for key, us, _ in ops if key in MATRIX_OPS)
    ranked = sorted(ops, key=lambda op: -op[1])[:top]
    operator_ms = total / len(sentences) / 1e3
    return {
        "operator_ms_per_sentence": round(operator_ms, 2),
        "operators_share_of_wall": round(operator_ms / wall_ms, 3),
        "matrix_share_of_operators": round(matrix / total, 3) if total else 0.0,
        "profiled_events_per_sentence": round(sum(n for _, _, n in ops) / len(sentences), 1),
        "top": [{"op": key, "share_of_operators": round(us / total, 3), "calls": n} for key, us, n in ranked],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="artifacts/default")
    p.add_argument("--source", default="data/multi30k/test_2016_flickr.de", help="one sentence per line")
    p.add_argument("--quantize", nargs="+", default=list(QUANTIZATIONS), choices=QUANTIZATIONS)
    p.add_argument("--sentences", type=int, default=100, help="timed sentences (then a tenth of that profiled)")
    p.add_argument("--out", default="bench/results/step.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    lines = Path(args.source).read_text(encoding="utf-8").splitlines()
    warm, timed_part = lines[:10], lines[10 : 10 + args.sentences]
    prof_part = lines[10 + args.sentences : 10 + args.sentences + max(1, args.sentences // 10)]
    report: dict[str, Any] = {}
    for scheme in args.quantize:
        translator = Translator.load(args.model, quantize=scheme)
        timed(translator, warm)
        report[scheme] = {**timed(translator, timed_part), **profiled(translator, prof_part)}
        row = report[scheme]
        print(
            f"{scheme:>5}: {row['ms_per_sentence']} ms/sentence, {row['ms_per_step']} ms/step; "
            f"{row['operators_share_of_wall']:.0%} of the time in operators, "
            f"{row['matrix_share_of_operators']:.0%} of that in matrix products; "
            f"{row['profiled_events_per_sentence']} operator events per sentence (nested ones included)",
            flush=True,
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    meta = {"model": args.model, "threads": 1, "torch": torch.__version__}
    Path(args.out).write_text(json.dumps({**meta, "schemes": report}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
