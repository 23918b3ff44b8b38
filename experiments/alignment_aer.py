"""The attention rows of the alignment table: AER, precision and recall of every extraction method on the
WPT 2003 English-French dev pairs, for the en->fr model, the fr->en model and the two combined.

    python -m experiments.alignment_aer --forward artifacts/en-fr [--backward artifacts/fr-en]

Each package force-aligns the dev pairs once (``translator.alignment.forced``); the methods then differ only in how
links are read: ``argmax``, ``mutual`` or ``threshold`` T, on the attention as it is or shifted by one step, and for two
directions, intersection, union or grow-diag-final of the two directions' links made by the same rule, and
the rule applied to the mean of the two directions' word matrices (``mean``).
Links are (English word, French word) throughout. Rows go to ``experiments/results.jsonl``; the best row of
each group is marked: choose on these dev pairs only (a held-out part checks the result).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from experiments.alignment_data import GOLD_DIR, read_gold
from experiments.record import append
from translator.alignment.aligner import COMBINATIONS, AlignMethod, combined_links, links_of
from translator.alignment.forced import ForcedAlignment, force_align
from translator.alignment.links import GoldLinks, alignment_error_rate
from translator.errors import bad_input
from translator.translate import Translator

THRESHOLDS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5)


def methods(thresholds: tuple[float, ...]) -> list[AlignMethod]:
    """Every rule, with and without the shift."""
    rules = [AlignMethod("argmax"), AlignMethod("mutual")] + [AlignMethod("threshold", t) for t in thresholds]
    return [AlignMethod(m.rule, m.threshold, shift) for shift in (False, True) for m in rules]


def forced(package: str, pairs: list[tuple[str, str]], reverse: bool) -> list[ForcedAlignment]:
    translator = Translator.load(package)
    given = [(fr, en) for en, fr in pairs] if reverse else pairs
    return force_align(translator.package.model, translator.package.tokenizer, given)


def table(
    gold: list[GoldLinks],
    forward: list[ForcedAlignment],
    backward: list[ForcedAlignment] | None,
    grid: list[AlignMethod],
) -> list[tuple[str, str, float, float, float]]:
    """(group, method, AER, precision, recall) for every method of every group (en->fr alone when there is
    no ``backward``)."""
    rows = []
    for method in grid:
        fwd = [links_of(a, method) for a in forward]
        groups = [("en->fr attention", fwd)]
        if backward is not None:
            groups.append(("fr->en attention", [links_of(a, method, reverse=True) for a in backward]))
            for how in COMBINATIONS:
                both = AlignMethod(method.rule, method.threshold, method.shift, how)
                groups.append((f"both, {how}", [combined_links(f, b, both) for f, b in zip(forward, backward)]))
        for group, links in groups:
            score = alignment_error_rate(gold, links)
            rows.append((group, method.name, score.aer, score.precision, score.recall))
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--forward", required=True, help="en->fr package")
    p.add_argument("--backward", help="fr->en package (without it: the en->fr rows only)")
    p.add_argument("--gold-dir", default=str(GOLD_DIR))
    p.add_argument("--thresholds", type=float, nargs="+", default=list(THRESHOLDS))
    p.add_argument("--label", default="", help="a name for these packages in results.jsonl")
    p.add_argument("--no-record", action="store_true", help="do not append the rows to experiments/results.jsonl")
    args = p.parse_args(argv)
    try:
        pairs, gold = read_gold(Path(args.gold_dir) / "dev.src-tgt", Path(args.gold_dir) / "dev.gold")
        backward = forced(args.backward, pairs, True) if args.backward else None
        rows = table(gold, forced(args.forward, pairs, False), backward, methods(tuple(args.thresholds)))
    except (ValueError, OSError) as err:  # a package that does not load, gold files missing or malformed
        return bad_input(err)
    best = {group: min(r[2] for r in rows if r[0] == group) for group, *_ in rows}
    print("| links | method | AER | precision | recall |\n| --- | --- | ---: | ---: | ---: |")
    for group, name, aer, precision, recall in rows:
        mark = " **best**" if aer == best[group] else ""
        print(f"| {group} | {name}{mark} | {aer:.4f} | {precision:.4f} | {recall:.4f} |")
        if not args.no_record:
            append(
                {
                    "kind": "alignment",
                    "name": f"{args.label} {group} {name}".strip(),
                    "aer": aer,
                    "precision": precision,
                    "recall": recall,
                    "forward": args.forward,
                    "backward": args.backward,
                }
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
