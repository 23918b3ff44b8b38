"""Decode-time levers on a validation split: beam size x length penalty, for a package or an ensemble.

    python -m experiments.sweep --model artifacts/default [--model2 ...] --split val \
        --beams 1 3 5 10 --alphas 0 0.6 1.0 [--name LABEL] [--no-record]

Prints one row per setting (BLEU, chrF, seconds) and appends each to experiments/results.jsonl.
Greedy search (beam 1) is run once: the length penalty does not change its output.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from experiments.record import append
from translator.config import QUANTIZATIONS
from translator.errors import bad_input
from translator.evaluate import EvaluationError, score
from translator.files import read_lines
from translator.package import PackageError
from translator.translate import Translator


def with_alpha(translator: Translator, alpha: float) -> Translator:
    """The same loaded model with another GNMT length-penalty alpha (no reload)."""
    decode = dataclasses.replace(translator.package.decode_cfg, length_penalty=alpha)
    package = dataclasses.replace(translator.package, decode_cfg=decode)
    return Translator(package, translator.device, translator.quantization)


def settings(beams: list[int], alphas: list[float]) -> list[tuple[int, float]]:
    """(beam, alpha) pairs to run; beam 1 once, with the first alpha."""
    return [(b, a) for b in beams for a in (alphas[:1] if b == 1 else alphas)]


def run(args: argparse.Namespace) -> list[dict]:
    translator = Translator.load(args.model if len(args.model) > 1 else args.model[0], quantize=args.quantize)
    meta = translator.metadata
    data = Path(args.data_dir)
    sources = read_lines(data / f"{args.split}.{meta['src_lang']}")
    references = read_lines(data / f"{args.split}.{meta['tgt_lang']}")
    rows = []
    for beam, alpha in settings(args.beams, args.alphas):
        start = time.perf_counter()
        hyps = [t.text for t in with_alpha(translator, alpha).translate(sources, beam_size=beam)]
        seconds = time.perf_counter() - start
        report = score(hyps, references)
        row = {
            "kind": "decode",
            "name": args.name or "+".join(Path(m).name for m in args.model),
            "models": [str(m) for m in args.model],
            "quantize": translator.quantization,
            "split": args.split,
            "beam": beam,
            "length_penalty": alpha,
            "bleu": report["bleu"],
            "chrf": report["chrf"],
            "seconds": round(seconds, 1),
            "signature": report["signature"],
        }
        print(f"beam {beam:2d}  alpha {alpha:4.2f}  BLEU {row['bleu']:6.2f}  chrF {row['chrf']:6.2f}  {seconds:6.1f} s")
        rows.append(append(row) if args.record else row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Beam size x length penalty sweep on a validation split.")
    parser.add_argument("--model", nargs="+", required=True, help="package(s); several are decoded as an ensemble")
    parser.add_argument("--split", default="val")
    parser.add_argument("--data-dir", default="data/multi30k")
    parser.add_argument("--beams", nargs="+", type=int, default=[1, 5])
    parser.add_argument("--alphas", nargs="+", type=float, default=[0.6])
    parser.add_argument("--quantize", choices=QUANTIZATIONS, default="none")
    parser.add_argument("--name", help="label of the records (default: the package names)")
    parser.add_argument("--no-record", dest="record", action="store_false", help="print only")
    args = parser.parse_args(argv)
    try:
        if any(not 1 <= b <= 64 for b in args.beams) or any(a < 0 for a in args.alphas):
            raise ValueError("beam sizes must be in [1, 64] and alphas >= 0")
        run(args)
    except (EvaluationError, PackageError, ValueError, OSError) as err:
        return bad_input(err)
    return 0


if __name__ == "__main__":
    sys.exit(main())
