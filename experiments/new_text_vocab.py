"""How new pairs' words fare in a general model's vocabulary, and what the new words cost in AER.

    python -m experiments.new_text_vocab --spm artifacts/en-fr [--pair en-fr] [--pairs dev.src-tgt]
        [--gold dev.gold] [--links NAME=FILE ...] [--data-dir data/multi30k]

The cheap alignment path reads the new text with the SentencePiece model of a package trained on captions.
For each side of ``--pairs`` (``english ||| french`` words, lowercased and Moses-tokenized, as the WPT set):
the words that never occur in Multi30k train brought to the same form ("new"), and for new and known words the
pieces a word is cut into (each word encoded alone), the share cut into 3 pieces or more, and the share holding
an unknown piece. ``--spm``: a package or a run's ``spm`` folder; ``--pair``: its source-target languages (read
from a package's metadata when left out).

With ``--gold`` and ``--links`` (0-indexed Pharaoh files, e.g. the recipe's or eflomal's links of the same
pairs): AER, precision and recall of each set of links over all links, over the links that touch a new word
(English or French side: both predicted and gold links restricted so) and over the others. Rows go to
``experiments/results.jsonl``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from experiments.alignment_data import GOLD_DIR, read_gold
from experiments.eflomal_baseline import multi30k_pairs
from experiments.record import RESULTS, append
from translator.alignment.aligner import check_links_fit, read_links_file, read_pairs_file
from translator.alignment.links import AerScore, GoldLinks, Link, alignment_error_rate
from translator.errors import bad_input
from translator.package import PackageError, read_metadata
from translator.special import UNK_ID
from translator.tokenizer import Tokenizer

MANY_PIECES = 3  # a word cut into this many pieces or more counts as fragmented
Encoder = Callable[[str], list[int]]  # a word -> its piece ids


@dataclass(frozen=True)
class WordFigures:
    """Token-level figures of one group of words (every occurrence counts)."""

    words: int
    pieces_per_word: float
    fragmented: float  # share of words in MANY_PIECES pieces or more
    unknown: float  # share of words with an unknown piece


def word_figures(words: list[str], encode: Encoder) -> WordFigures:
    """Figures of ``words`` (occurrences) encoded one by one by ``encode`` (word -> piece ids)."""
    encoded = [encode(word) for word in words]
    n = max(len(words), 1)
    return WordFigures(
        words=len(words),
        pieces_per_word=sum(map(len, encoded)) / n,
        fragmented=sum(len(ids) >= MANY_PIECES for ids in encoded) / n,
        unknown=sum(UNK_ID in ids for ids in encoded) / n,
    )


def side_figures(sentences: list[str], known: set[str], encode: Encoder) -> dict[str, WordFigures]:
    """ "new" and "known" word figures of one side's sentences (space-separated words)."""
    words = [w for line in sentences for w in line.split()]
    return {
        "new": word_figures([w for w in words if w not in known], encode),
        "known": word_figures([w for w in words if w in known], encode),
    }


def novel_part(
    gold: GoldLinks, predicted: set[Link], new: tuple[set[int], set[int]], touching: bool
) -> tuple[GoldLinks, set[Link]]:
    """(gold, predicted) of one pair restricted to the links that touch a new word (``new``: positions of the
    new English and French words) when ``touching``, else to the other links."""

    def keep(links: frozenset[Link] | set[Link]) -> frozenset[Link]:
        return frozenset((i, j) for i, j in links if (i in new[0] or j in new[1]) == touching)

    return GoldLinks(sure=keep(gold.sure), possible=keep(gold.possible)), set(keep(predicted))


def aer_by_novelty(
    pairs: list[tuple[str, str]], gold: list[GoldLinks], predicted: list[set[Link]], known: tuple[set, set]
) -> dict[str, AerScore]:
    """AER of ``predicted`` over all links, over those touching a new word, and over the rest."""
    new = [
        tuple({k for k, w in enumerate(side.split()) if w not in words} for side, words in zip(pair, known))
        for pair in pairs
    ]
    scores = {"all": alignment_error_rate(gold, predicted)}
    for part, touching in (("new", True), ("known", False)):
        parts = [novel_part(g, p, n, touching) for g, p, n in zip(gold, predicted, new, strict=True)]
        scores[part] = alignment_error_rate([g for g, _ in parts], [p for _, p in parts])
    return scores


def caption_words(data_dir: Path) -> tuple[set[str], set[str]]:
    """The English and the French words of Multi30k train, in the gold set's form (``multi30k_pairs``)."""
    pairs = multi30k_pairs(data_dir)
    return tuple({w for pair in pairs for w in pair[side].split()} for side in (0, 1))  # type: ignore[return-value]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--spm", required=True, type=Path, help="a package or a run's spm folder")
    p.add_argument("--pair", default=None, help="source-target languages of --spm (default: the package's)")
    p.add_argument("--pairs", default=GOLD_DIR / "dev.src-tgt", type=Path, help="english ||| french words")
    p.add_argument("--gold", default=None, type=Path, help="1-indexed gold links of --pairs")
    p.add_argument("--links", action="append", default=[], help="NAME=FILE: 0-indexed links of --pairs")
    p.add_argument("--data-dir", default="data/multi30k", type=Path, help="where train.en and train.fr are")
    p.add_argument("--results", default=RESULTS, type=Path)
    return p.parse_args(argv)


def encoders(spm: Path, pair: str | None) -> dict[str, Encoder]:
    """lang -> word encoder (piece ids) for English and French, from the tokenizer's source and target."""
    if pair is None:
        try:
            meta = read_metadata(spm)
        except PackageError as err:
            raise ValueError(f"{err}: give --pair (e.g. en-fr) for a folder that is not a package") from None
        pair = f"{meta['src_lang']}-{meta['tgt_lang']}"
    if sorted(pair.split("-")) != ["en", "fr"]:
        raise ValueError(f"--pair must be en-fr or fr-en, got {pair!r}")
    tokenizer = Tokenizer.load(spm)
    src, tgt = pair.split("-")
    return {src: lambda w: tokenizer.encode_source(w)[0], tgt: tokenizer.encode_target}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        encode = encoders(args.spm, args.pair)
        pairs, gold = read_gold(args.pairs, args.gold) if args.gold else (read_pairs_file(args.pairs), None)
        links = {}
        for spec in args.links:
            name, sep, path = spec.partition("=")
            if not sep or gold is None:
                raise ValueError(f"--links wants NAME=FILE and --gold, got {spec!r}")
            found = read_links_file(path)
            check_links_fit(pairs, found, path)
            links[name] = [set(g.sure) for g in found]
        known = caption_words(args.data_dir)
    except (OSError, ValueError) as err:
        return bad_input(err)
    report(args, pairs, gold, links, known, encode)
    return 0


def report(
    args: argparse.Namespace, pairs: list, gold: list | None, links: dict, known: tuple, encode: dict[str, Encoder]
) -> None:
    """Print and record the vocabulary figures and, with gold, the AER split of every set of links."""
    for side, lang in enumerate(("en", "fr")):
        figures = side_figures([pair[side] for pair in pairs], known[side], encode[lang])
        for group, f in figures.items():
            print(f"{lang} {group:5} words: {f.words:5}  pieces/word {f.pieces_per_word:.2f}  >= {MANY_PIECES} "
                  f"pieces {100 * f.fragmented:5.1f} %  unknown piece {100 * f.unknown:4.1f} %")  # fmt: skip
            row = {"name": f"new-text vocabulary {lang} {group}", "spm": str(args.spm), **vars(f)}
            append({"kind": "alignment", "pairs": str(args.pairs), **row}, args.results)
    for name, predicted in links.items():
        for part, score in aer_by_novelty(pairs, gold, predicted, known).items():
            print(f"{name} links, {part:5}: AER {100 * score.aer:.2f}  P {100 * score.precision:.2f}  "
                  f"R {100 * score.recall:.2f}  ({score.sure} sure gold links)")  # fmt: skip
            row = {"name": f"AER by word novelty {part}", "links": name, "aer": score.aer, "sure": score.sure,
                   "precision": score.precision, "recall": score.recall}  # fmt: skip
            append({"kind": "alignment", "pairs": str(args.pairs), **row}, args.results)


if __name__ == "__main__":
    sys.exit(main())
