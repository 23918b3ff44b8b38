"""Is ``torch.compile`` worth it for decoding? Eager vs compiled decoder step, greedy and beam 5.

    python -m bench.bench_compile --model artifacts/default [--sentences 1000] [--repeats 3]

The compiled variant wraps the model's ``step_logits`` (decoder step + tied output layer) in
``torch.compile(dynamic=True)``; search code is unchanged. The first (warm-up) pass includes the
compilation and is reported separately; the figures are medians of ``--repeats`` passes after it.
BLEU is printed beside each figure so that a compiled model that decodes differently shows up.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from bench.bench_decode import median_seconds
from translator.evaluate import score
from translator.files import read_lines
from translator.translate import Translator


def measure(translator: Translator, texts: list[str], refs: list[str], beam: int, repeats: int) -> dict:
    start = time.perf_counter()
    translator.translate(texts, beam_size=beam, batch_size=64)  # warm-up (and compilation)
    warmup = time.perf_counter() - start
    seconds, runs, out = median_seconds(lambda: translator.translate(texts, beam_size=beam, batch_size=64), repeats)
    return {
        "beam": beam,
        "warmup_seconds": round(warmup, 1),
        "sentences_per_s": round(len(texts) / seconds, 1),
        "runs_seconds": [round(s, 2) for s in runs],
        "bleu": score([t.text for t in out], refs)["bleu"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="artifacts/default")
    parser.add_argument("--data-dir", default="data/multi30k")
    parser.add_argument("--sentences", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", help="write the JSON here")
    args = parser.parse_args(argv)
    translator = Translator.load(args.model, quantize="none")
    meta = translator.metadata
    texts = read_lines(Path(args.data_dir) / f"test_2016_flickr.{meta['src_lang']}")[: args.sentences]
    refs = read_lines(Path(args.data_dir) / f"test_2016_flickr.{meta['tgt_lang']}")[: args.sentences]
    results = {"torch": torch.__version__, "threads": torch.get_num_threads(), "eager": [], "compiled": []}
    for beam in (1, 5):
        results["eager"].append(measure(translator, texts, refs, beam, args.repeats))
    model = translator.package.model
    model.step_logits = torch.compile(model.step_logits, dynamic=True)
    for beam in (1, 5):
        results["compiled"].append(measure(translator, texts, refs, beam, args.repeats))
    for mode in ("eager", "compiled"):
        for row in results[mode]:
            print(
                f"{mode:>8} beam {row['beam']}: {row['sentences_per_s']:7.1f} sent/s  BLEU {row['bleu']:5.2f}  "
                f"(warm-up {row['warmup_seconds']} s)"
            )
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
