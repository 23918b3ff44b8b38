"""Is an attention row's AER below eflomal's beyond chance? A paired bootstrap over the dev sentences, against
several eflomal runs.

    python -m experiments.aer_bootstrap --forward artifacts/en-fr-guided-indomain-uniform-18ep \\
        --backward artifacts/fr-en-guided-indomain-uniform [--symmetrise mean --rule mutual] [--eflomal-runs 5]

Two sources of chance: eflomal samples, so every run gives other links (its intersection AER moved between
15.09 and 16.37 over three runs); and the 149 dev sentences are one sample of the text a held-out part
checks. For each of ``--eflomal-runs`` fresh eflomal runs (Multi30k en-fr train plus the dev pairs, as in
``experiments.eflomal_baseline``) this prints both AERs, the difference (attention minus eflomal), its 95 %
percentile interval over ``--samples`` resamples of the sentences with replacement (``scipy.stats.bootstrap``,
paired: both aligners are scored on the same resampled sentences, AER recomputed from the summed counts), and
the share of resamples in which the attention's AER is the lower. The last row compares against the mean of
the eflomal runs' AERs on each resample. Rows go to ``experiments/results.jsonl`` (kind ``alignment-bootstrap``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from experiments.alignment_aer import forced
from experiments.alignment_data import GOLD_DIR, read_gold
from experiments.eflomal_baseline import REFERENCE, eflomal_on, multi30k_pairs
from experiments.record import append
from translator.alignment.aligner import COMBINATIONS, AlignMethod, combined_links
from translator.alignment.links import RULES, SYMMETRISATIONS, GoldLinks, Link, link_counts, symmetrise
from translator.errors import bad_input


def sentence_counts(gold: Sequence[GoldLinks], predicted: Sequence[Iterable[Link]]) -> np.ndarray:
    """``translator.alignment.links.link_counts`` as an array: (N, 4) per sentence |A|, |S|, |A & S|, |A & P|."""
    rows = link_counts(gold, predicted)
    return np.asarray(rows, dtype=np.int64).reshape(len(rows), 4)


def corpus_aer(counts: np.ndarray) -> np.ndarray:
    """counts (..., N, 4) -> AER (...,) of the N sentences together: 1 - (|A&S| + |A&P|) / (|A| + |S|)."""
    total = counts.sum(axis=-2)  # (..., 4)
    return 1.0 - (total[..., 2] + total[..., 3]) / (total[..., 0] + total[..., 1])


@dataclass(frozen=True)
class PairedDifference:
    """AERs on the whole set, their difference (ours - theirs), its bootstrap interval and the share of
    resamples in which ours is lower."""

    ours: float
    theirs: float
    difference: float
    low: float
    high: float
    share_better: float


def paired_difference(
    gold: Sequence[GoldLinks],
    ours: Sequence[Iterable[Link]],
    theirs: Sequence[Sequence[Iterable[Link]]],
    samples: int = 10_000,
    seed: int = 0,
    level: float = 0.95,
) -> PairedDifference:
    """Bootstrap of AER(ours) - mean over ``theirs`` (R runs, each N link sets) of AER(run), resampling the N
    sentences with replacement, the same ones for every aligner."""
    from scipy.stats import bootstrap  # needed only by this experiment

    mine = sentence_counts(gold, ours)  # (N, 4)
    other = np.stack([sentence_counts(gold, run) for run in theirs])  # (R, N, 4)

    def statistic(index: np.ndarray, axis: int = -1) -> np.ndarray:
        idx = np.moveaxis(index, axis, -1).astype(np.int64)  # (..., N): resampled sentence numbers
        theirs_aer = corpus_aer(other[:, idx]).mean(axis=0)  # other[:, idx] (R, ..., N, 4) -> (...,)
        return corpus_aer(mine[idx]) - theirs_aer  # mine[idx] (..., N, 4) -> (...,)

    n = mine.shape[0]
    result = bootstrap(
        (np.arange(n),),
        statistic,
        n_resamples=samples,
        confidence_level=level,
        method="percentile",
        vectorized=True,
        rng=np.random.default_rng(seed),
    )
    whole = np.arange(n)
    return PairedDifference(
        ours=float(corpus_aer(mine)),
        theirs=float(corpus_aer(other[:, whole]).mean()),
        difference=float(statistic(whole)),
        low=float(result.confidence_interval.low),
        high=float(result.confidence_interval.high),
        share_better=float((result.bootstrap_distribution < 0).mean()),
    )


def row(name: str, d: PairedDifference) -> str:
    return (
        f"| {name} | {100 * d.ours:.2f} | {100 * d.theirs:.2f} | {100 * d.difference:+.2f} | "
        f"[{100 * d.low:+.2f}, {100 * d.high:+.2f}] | {100 * d.share_better:.1f} % |"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--forward", required=True, help="en->fr package")
    p.add_argument("--backward", required=True, help="fr->en package")
    p.add_argument("--symmetrise", choices=COMBINATIONS, default="mean", help="how the two directions combine")
    p.add_argument("--rule", choices=RULES, default="mutual")
    p.add_argument("--threshold", type=float, default=0.5, help="for --rule threshold")
    p.add_argument("--eflomal-symmetrise", choices=SYMMETRISATIONS, default=REFERENCE)
    p.add_argument("--eflomal-runs", type=int, default=5)
    p.add_argument("--samples", type=int, default=10_000, help="bootstrap resamples")
    p.add_argument("--seed", type=int, default=0, help="of the resampling (eflomal itself is not seeded)")
    p.add_argument("--data-dir", default="data/multi30k", help="Multi30k text (make data CONFIG=configs/en-fr.yaml)")
    p.add_argument("--gold-dir", default=str(GOLD_DIR))
    p.add_argument("--no-record", action="store_true", help="do not append the rows to experiments/results.jsonl")
    args = p.parse_args(argv)
    try:
        if args.eflomal_runs < 1 or args.samples < 1:
            raise ValueError("--eflomal-runs and --samples must be at least 1")
        method = AlignMethod(args.rule, args.threshold, False, args.symmetrise)
        pairs, gold = read_gold(Path(args.gold_dir) / "dev.src-tgt", Path(args.gold_dir) / "dev.gold")
        fwd, bwd = forced(args.forward, pairs, False), forced(args.backward, pairs, True)
        ours = [combined_links(f, b, method) for f, b in zip(fwd, bwd, strict=True)]
        train = multi30k_pairs(args.data_dir)
    except (ValueError, OSError) as err:  # a package that does not load, files missing or malformed
        return bad_input(err)
    runs = []
    for _ in range(args.eflomal_runs):
        forward, reverse = eflomal_on(train, pairs)
        runs.append([symmetrise(f, r, args.eflomal_symmetrise) for f, r in zip(forward, reverse, strict=True)])
    label = f"attention {args.symmetrise} {method.name} vs eflomal {args.eflomal_symmetrise}"
    print(f"{label}, {len(pairs)} dev pairs, {args.samples} resamples\n")
    print("| eflomal | attention AER | eflomal AER | difference | 95 % interval | attention lower in |")
    print("| --- | ---: | ---: | ---: | --- | ---: |")
    compared = [(f"run {i + 1}", [run]) for i, run in enumerate(runs)] + [(f"mean of {len(runs)} runs", runs)]
    for name, theirs in compared:
        d = paired_difference(gold, ours, theirs, args.samples, args.seed)
        print(row(name, d))
        if not args.no_record:
            append({"kind": "alignment-bootstrap", "name": f"{label}, {name}", **vars(d), "samples": args.samples,
                    "forward": args.forward, "backward": args.backward})  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
