"""AER of a guided model's teacher: the eflomal links that ``training.guided`` wrote for the in-domain corpus's
last lines, which are the pairs to be aligned (``experiments.indomain_corpus``), scored against the gold.

    python -m experiments.teacher_aer --links runs/en-fr-guided-indomain/train.links [--words moses] [--no-record]

The links name the aligner's words (``data.alignment_words``: Moses tokens split "minister's" into three where
the gold set has two tokens), so every aligner word is mapped to the gold token its characters fall in,
as pieces are merged to words; a model guided by these links can be compared with what it was taught.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from experiments.alignment_data import GOLD_DIR, read_gold
from experiments.record import append
from training.link_words import pieces_of_words, word_char_spans
from translator.alignment.aligner import read_links_file
from translator.alignment.links import Link, alignment_error_rate
from translator.errors import bad_input


def token_of_words(text: str, unit: str, lang: str) -> list[int]:
    """For every aligner word of ``text`` (in order), the index of the whitespace token it lies in (by the
    character overlap that maps pieces to words, ``training.link_words.pieces_of_words``)."""
    words = word_char_spans(text, unit, lang)
    token = [0] * len(words)
    for k, members in enumerate(pieces_of_words(word_char_spans(text, "whitespace", lang), words)):
        for w in members:
            token[w] = k
    return token


def to_gold_tokens(links: set[Link], source: list[int], target: list[int]) -> set[Link]:
    """Links between aligner words -> links between the gold's tokens (source and target word -> token maps)."""
    return {(source[i], target[j]) for i, j in links if i < len(source) and j < len(target)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--links", required=True, help="training.guided's links of the in-domain corpus")
    p.add_argument("--words", choices=("moses", "whitespace"), default="moses", help="data.alignment_words")
    p.add_argument("--gold-dir", default=str(GOLD_DIR))
    p.add_argument("--no-record", action="store_true", help="do not append the row to experiments/results.jsonl")
    args = p.parse_args(argv)
    try:
        pairs, gold = read_gold(Path(args.gold_dir) / "dev.src-tgt", Path(args.gold_dir) / "dev.gold")
        lines = read_links_file(args.links)
    except (OSError, ValueError) as err:
        return bad_input(err)
    if len(lines) < len(pairs):
        print(f"error: {args.links} has {len(lines)} lines, fewer than the {len(pairs)} pairs", file=sys.stderr)
        return 2
    predicted = [
        to_gold_tokens(links.sure, token_of_words(en, args.words, "en"), token_of_words(fr, args.words, "fr"))
        for links, (en, fr) in zip(lines[-len(pairs) :], pairs, strict=True)
    ]
    score = alignment_error_rate(gold, predicted)
    print(
        f"teacher links of {len(pairs)} pairs: AER {score.aer:.4f} "
        f"precision {score.precision:.4f} recall {score.recall:.4f}"
    )
    if not args.no_record:
        row = {"aer": score.aer, "precision": score.precision, "recall": score.recall, "pairs": score.pairs}
        append({"kind": "alignment", "name": f"teacher links {args.links}", **row})
    return 0


if __name__ == "__main__":
    sys.exit(main())
