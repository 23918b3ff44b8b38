"""A training corpus that holds the sentences to be aligned, as the statistical baseline's does: Multi30k
en-fr train followed by the pairs to align (by default the WPT 2003 dev pairs; their text only, never gold
links).

    python -m experiments.indomain_corpus --out runs/en-fr-indomain/corpus [--pairs a.src-tgt [b.src-tgt ...]]

eflomal is trained on Multi30k train plus the dev pairs (``experiments.eflomal_baseline``: statistical
aligners are run over the sentences they align); this gives an NMT model the same text to learn from, so that
the two sides of the alignment table have seen the same data. Writes ``train.en`` and ``train.fr`` (one
sentence per line, the dev pairs last, as the gold set has them: lowercased and tokenized), ``new.en`` and
``new.fr`` (the pairs alone, last: the recipe's cheap path weights them apart) and prints the counts;
``configs/levers/en-fr-guided-indomain.yaml`` trains on them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from experiments.alignment_data import GOLD_DIR
from translator.alignment.aligner import read_pairs_file
from translator.errors import bad_input
from translator.files import read_lines


def corpus_lines(train_en: list[str], train_fr: list[str], pairs: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """English and French lines: the training pairs, then the (stripped) pairs to be aligned."""
    if len(train_en) != len(train_fr):
        raise ValueError(f"the training sides differ in length: {len(train_en)} and {len(train_fr)} lines")
    return train_en + [en.strip() for en, _ in pairs], train_fr + [fr.strip() for _, fr in pairs]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default="data/multi30k", help="Multi30k text (make data CONFIG=configs/en-fr.yaml)")
    p.add_argument(
        "--pairs", nargs="+", default=[str(GOLD_DIR / "dev.src-tgt")], help="the pairs to align: 'en ||| fr' lines"
    )
    p.add_argument("--out", required=True, help="folder for train.en and train.fr")
    args = p.parse_args(argv)
    data = Path(args.data_dir)
    try:
        pairs = [pair for path in args.pairs for pair in read_pairs_file(path)]  # in the order given
        en, fr = corpus_lines(read_lines(data / "train.en"), read_lines(data / "train.fr"), pairs)
    except (OSError, ValueError) as err:
        return bad_input(err)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    first_new = len(en) - len(pairs)
    for name, sides in (("train", (en, fr)), ("new", (en[first_new:], fr[first_new:]))):
        for lang, lines in zip(("en", "fr"), sides, strict=True):
            tmp = out / f"{name}.{lang}.tmp"
            tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            tmp.replace(out / f"{name}.{lang}")
    print(f"{out}: {len(en)} pairs ({first_new} Multi30k train + {len(pairs)} to be aligned)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
