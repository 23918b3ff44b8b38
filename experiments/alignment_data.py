"""The WPT 2003 English-French dev set and Multi30k text in its form (lowercased, Moses-tokenized).

The gold set (``../shared/data/alignment/en-fr-wpt03``) is lowercased and tokenized; the statistical
baseline is trained on Multi30k en-fr train brought to the same form with sacremoses, the Python port of
the Moses tokenizer that such test sets were made with.
"""

from __future__ import annotations

from pathlib import Path

from training.link_words import aligner_words
from translator.alignment.aligner import check_links_fit, read_links_file, read_pairs_file
from translator.alignment.links import GoldLinks

GOLD_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "alignment" / "en-fr-wpt03"


def read_gold(pairs_path: str | Path, gold_path: str | Path) -> tuple[list[tuple[str, str]], list[GoldLinks]]:
    """The dev pairs (English, French) and their 0-indexed gold links, range-checked."""
    pairs, gold = read_pairs_file(pairs_path), read_links_file(gold_path, one_indexed=True)
    check_links_fit(pairs, gold, gold_path)
    return pairs, gold


def moses_lowercase(lines: list[str], lang: str) -> list[str]:
    """Moses-tokenize and lowercase raw sentences (escape off: '&' stays '&')."""
    return [aligner_words(line, "moses", lang) for line in lines]
