"""Word-level alignment: SentencePiece pieces grouped into words, piece matrices merged into word matrices.

SentencePiece pieces are merged back into whitespace-separated words.

A piece that starts with the word-boundary mark ``▁`` (or comes first, or is a special token such as
``<unk>``) opens a new word; other pieces continue the current word. Source columns of one word are
summed and target rows of one word are averaged, so every row of the result still sums to 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from translator.alignment.links import DEFAULT_LINK_RULE, extract

BOUNDARY = "\u2581"


def word_spans(pieces: list[str]) -> list[tuple[int, int]]:
    """Piece index ranges [start, end) of the words formed by ``pieces``."""
    spans: list[tuple[int, int]] = []
    for i, piece in enumerate(pieces):
        if not spans or piece.startswith(BOUNDARY) or _is_special(piece) or _is_special(pieces[i - 1]):
            spans.append((i, i + 1))
        else:
            spans[-1] = (spans[-1][0], i + 1)
    return spans


def _is_special(piece: str) -> bool:
    return piece.startswith("<") and piece.endswith(">") and len(piece) > 2


def _word(pieces: list[str]) -> str:
    text = "".join(pieces).replace(BOUNDARY, " ").strip()
    return text or "".join(pieces)


def merge_matrix(
    matrix: Sequence[Sequence[float]], src_spans: list[tuple[int, int]], tgt_spans: list[tuple[int, int]]
) -> list[list[float]]:
    """Piece matrix (target pieces x source pieces) -> word matrix (target words x source words): a word's
    source columns are summed and its target rows averaged, so rows that summed to 1 still do."""
    rows: list[list[float]] = []
    for t_start, t_end in tgt_spans:
        piece_rows = matrix[t_start:t_end]
        rows.append([sum(sum(row[a:b]) for row in piece_rows) / len(piece_rows) for a, b in src_spans])
    return rows


def merge_alignment(
    source_tokens: list[str], target_tokens: list[str], alignment: list[list[float]], link_rule: str = DEFAULT_LINK_RULE
) -> dict[str, Any]:
    """Piece-level alignment -> ``{"source_words", "target_words", "alignment"}`` (target x source words) and
    ``links``: [source word, target word] pairs read from the word matrix by ``link_rule``: ``argmax`` links
    each target word to its most attended source word, ``mutual`` keeps the pairs that are the maximum of both
    their row and their column (``translator.alignment.links.extract``)."""
    src_spans, tgt_spans = word_spans(source_tokens), word_spans(target_tokens)
    rows = merge_matrix(alignment, src_spans, tgt_spans)
    return {
        "source_words": [_word(source_tokens[a:b]) for a, b in src_spans],
        "target_words": [_word(target_tokens[a:b]) for a, b in tgt_spans],
        "alignment": rows,
        "links": [list(link) for link in sorted(extract(rows, link_rule))],
    }
