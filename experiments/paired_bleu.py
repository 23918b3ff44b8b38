"""Is a new system better than the baseline, or only luckier? sacreBLEU's paired bootstrap on one test set.

    python -m experiments.paired_bleu --ref data/multi30k/val.en --baseline runs/default/eval/val.hyp.en \
        --system runs/best-de-en/eval/val.hyp.en [--system ...] [--samples 1000]

``sacrebleu.significance.PairedTest`` (what ``sacrebleu --paired-bs`` runs; its JSON output fails on numpy
floats in sacreBLEU 2.6, hence this wrapper) resamples the sentences with replacement ``--samples`` times (seed
``SACREBLEU_SEED``, default 12345) and scores the baseline and each system on the same resamples. Printed per
system and metric (BLEU, chrF): the score, its 95 % interval over the resamples, the difference to the
baseline and the p-value of "no difference"; a difference is called real when p < 0.05. Each row is also
appended to ``experiments/results.jsonl``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.significance import PairedTest

from experiments.record import RESULTS, append
from translator.errors import bad_input
from translator.files import read_lines

SIGNIFICANCE = 0.05  # p below this: the difference is real


def read_system(path: Path, lines: int) -> list[str]:
    """The hypotheses in ``path``, which must have as many lines as the reference (ValueError otherwise)."""
    hyps = read_lines(path)
    if len(hyps) != lines:
        raise ValueError(f"{path} has {len(hyps)} lines, the reference {lines}: they must be the same sentences")
    return hyps


def paired_bootstrap(refs: list[str], systems: dict[str, list[str]], samples: int) -> list[dict]:
    """One row per non-baseline system and metric: ``system``, ``metric``, ``score``, ``low``/``high`` (95 %
    interval), ``baseline``, ``delta``, ``p`` and the metric's ``signature``. ``systems``: name -> hypotheses,
    the baseline first."""
    metrics = {"BLEU": BLEU(), "chrF": CHRF()}
    test = PairedTest(list(systems.items()), metrics, [refs], test_type="bs", n_samples=samples)
    signatures, scores = test()  # scores: "System" -> names; each metric's sacreBLEU name (chrF2) -> results
    rows = []
    for metric, signature in signatures.items():
        baseline = scores[metric][0]
        for name, result in zip(scores["System"][1:], scores[metric][1:], strict=True):
            mean, half = float(result.mean), float(result.ci)
            rows.append({"system": name, "metric": metric, "score": float(result.score), "low": mean - half,
                         "high": mean + half, "baseline": float(baseline.score),
                         "delta": float(result.score - baseline.score), "p": float(result.p_value),
                         "signature": str(signature)})  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ref", required=True, type=Path, help="the reference, one sentence a line")
    p.add_argument("--baseline", required=True, type=Path, help="the baseline's hypotheses")
    p.add_argument("--system", required=True, type=Path, action="append", help="a system's hypotheses (repeatable)")
    p.add_argument("--samples", type=int, default=1000, help="bootstrap resamples")
    p.add_argument("--results", default=RESULTS, type=Path, help="the JSON-lines file every row is appended to")
    args = p.parse_args(argv)
    try:
        if args.samples < 1:
            raise ValueError(f"--samples must be >= 1, got {args.samples}")
        refs = read_lines(args.ref)
        if not refs:
            raise ValueError(f"{args.ref} is empty: there is nothing to score")
        paths = [args.baseline, *args.system]
        if len(set(map(str, paths))) != len(paths):
            raise ValueError("the baseline and the systems must be different files")
        systems = {str(path): read_system(path, len(refs)) for path in paths}
    except (OSError, ValueError) as err:
        return bad_input(err)
    for row in paired_bootstrap(refs, systems, args.samples):
        verdict = "real" if row["p"] < SIGNIFICANCE else "not shown"
        interval = f"95 % {row['low']:.2f}-{row['high']:.2f}"
        print(f"{row['metric']:5} {row['system']}: {row['score']:.2f} ({interval}), {row['delta']:+.2f} against "
              f"{row['baseline']:.2f}, p = {row['p']:.4f}: difference {verdict}")  # fmt: skip
        append({"kind": "significance", "name": f"paired bootstrap {row['metric']}", "ref": str(args.ref),
                "baseline_file": str(args.baseline), "samples": args.samples, **row}, args.results)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
