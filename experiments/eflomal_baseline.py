"""The statistical baseline of the alignment table: eflomal trained on Multi30k en-fr train plus the dev
sentences (statistical aligners are run over the sentences to align too), both directions, symmetrised.

    python -m experiments.eflomal_baseline [--data-dir data/multi30k] [--gold-dir ../shared/data/alignment/en-fr-wpt03]
        [--more-pairs test.src-tgt ...] [--links-out DIR]

Multi30k is brought to the gold set's form first (``experiments.alignment_data``). Prints AER, precision and
recall of the forward, reverse and symmetrised links on the dev pairs, and appends the rows to
``experiments/results.jsonl``. ``--more-pairs`` adds other pairs' text to what eflomal is run over (after the
dev pairs, as ``experiments.indomain_corpus`` orders them), and ``--links-out DIR`` writes the intersection
links of the dev pairs and of each such file, one 0-indexed Pharaoh line a pair, as ``DIR/<file stem>.eflomal.links``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from experiments.alignment_data import GOLD_DIR, moses_lowercase, read_gold
from experiments.record import append
from training.guided import eflomal_directions
from translator.alignment.aligner import read_pairs_file
from translator.alignment.links import SYMMETRISATIONS, Link, alignment_error_rate, format_links, symmetrise
from translator.errors import bad_input
from translator.files import atomic_write_text, read_lines

REFERENCE = "intersection"  # how eflomal's two directions combine wherever the project compares with or learns from it


def reference_links(forward: list[set[Link]], reverse: list[set[Link]]) -> list[set[Link]]:
    """eflomal's forward and reverse links of the same pairs combined by ``REFERENCE``."""
    return [symmetrise(f, r, REFERENCE) for f, r in zip(forward, reverse, strict=True)]


def multi30k_pairs(data_dir: str | Path) -> list[tuple[str, str]]:
    """Multi30k en-fr train in the gold set's form (Moses-tokenized, lowercased): (English, French) pairs."""
    data = Path(data_dir)
    train_en = moses_lowercase(read_lines(data / "train.en"), "en")
    train_fr = moses_lowercase(read_lines(data / "train.fr"), "fr")
    return list(zip(train_en, train_fr, strict=True))


def eflomal_on(train: list[tuple[str, str]], pairs: list[tuple[str, str]]) -> tuple[list[set[Link]], list[set[Link]]]:
    """eflomal run once over ``train`` plus ``pairs``: the forward and reverse links of ``pairs`` only."""
    with tempfile.TemporaryDirectory() as tmp:
        forward, reverse = eflomal_directions(train + pairs, Path(tmp))
    return forward[-len(pairs) :], reverse[-len(pairs) :]


def write_links(out_dir: Path, files: list[Path], forward: list[set[Link]], reverse: list[set[Link]]) -> None:
    """The intersection links of each file's pairs (``forward``/``reverse`` cover the files in order)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    start = 0
    for path in files:
        count = len(read_pairs_file(path))
        links = reference_links(forward[start : start + count], reverse[start : start + count])
        atomic_write_text(out_dir / f"{path.stem}.eflomal.links", "".join(format_links(pair) + "\n" for pair in links))
        print(f"{out_dir / f'{path.stem}.eflomal.links'}: {count} pairs, {REFERENCE}")
        start += count


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default="data/multi30k", help="Multi30k text (make data CONFIG=configs/en-fr.yaml)")
    p.add_argument("--gold-dir", default=str(GOLD_DIR))
    p.add_argument("--more-pairs", nargs="*", default=[], type=Path, help="more pairs whose text eflomal also sees")
    p.add_argument("--links-out", type=Path, help="write the intersection links of every pairs file here")
    p.add_argument("--no-record", action="store_true", help="do not append the rows to experiments/results.jsonl")
    args = p.parse_args(argv)
    try:
        return run(args)
    except (ValueError, OSError) as err:
        return bad_input(err)


def run(args: argparse.Namespace) -> int:
    """The baseline's rows (and links files) for parsed arguments."""
    dev = Path(args.gold_dir) / "dev.src-tgt"
    pairs, gold = read_gold(dev, Path(args.gold_dir) / "dev.gold")
    more = [pair for path in args.more_pairs for pair in read_pairs_file(path)]
    train = multi30k_pairs(args.data_dir)
    forward, reverse = eflomal_on(train, pairs + more)
    if args.links_out is not None:
        write_links(args.links_out, [dev, *args.more_pairs], forward, reverse)
    forward, reverse = forward[: len(pairs)], reverse[: len(pairs)]
    rows = [("forward (en->fr)", forward), ("reverse (fr->en)", reverse)]
    rows += [(how, [symmetrise(f, r, how) for f, r in zip(forward, reverse, strict=True)]) for how in SYMMETRISATIONS]
    print(f"eflomal on {len(train)} Multi30k pairs + {len(pairs)} dev pairs + {len(more)} more pairs\n")
    print("| eflomal links | AER | precision | recall |\n| --- | ---: | ---: | ---: |")
    for name, links in rows:
        score = alignment_error_rate(gold, links)
        print(f"| {name} | {score.aer:.4f} | {score.precision:.4f} | {score.recall:.4f} |")
        if not args.no_record:
            append(
                {
                    "kind": "alignment",
                    "name": f"eflomal {name}",
                    "aer": score.aer,
                    "precision": score.precision,
                    "recall": score.recall,
                    "pairs": score.pairs,
                    "train_pairs": len(train),
                    "more_pairs": len(more),
                }
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
