"""Word alignment of given sentence pairs with one model, or with the two directions' models combined.

An ``AlignMethod`` names how links are read from the teacher-forced attention (``translator.alignment.forced``):
the extraction ``rule`` (``argmax`` per target word, ``mutual`` or ``threshold``), whether the ``shift``ed
attention is used, and, when a reverse-direction model is given, how the two directions are ``symmetrise``d:
their links (intersection, union, grow-diag-final) or their word matrices before the rule (mean).
Links are always (source word, target word) of the pair as given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from translator.alignment.forced import ForcedAlignment, force_align
from translator.alignment.links import (
    DEFAULT_LINK_RULE,
    RULES,
    SOFT_SYMMETRISATIONS,
    SYMMETRISATIONS,
    GoldLinks,
    Link,
    LinkError,
    check_range,
    extract,
    mean_matrix,
    parse_links,
    symmetrise,
)
from translator.alignment.projection import WordRow
from translator.config import require
from translator.document import DocumentTranslation, document_links, document_rows
from translator.files import read_lines
from translator.segment import Span
from translator.translate import Translator

PAIR_SEPARATOR = "|||"
COMBINATIONS = SYMMETRISATIONS + SOFT_SYMMETRISATIONS  # every way to combine two directions


@dataclass(frozen=True)
class AlignMethod:
    """How links are made; ``symmetrise`` applies only when a reverse model is given."""

    rule: str = DEFAULT_LINK_RULE
    threshold: float = 0.5
    shift: bool = False
    symmetrise: str = "grow-diag-final"

    def __post_init__(self) -> None:
        require(self.rule in RULES, f"rule must be one of {', '.join(RULES)}")
        require(0.0 < self.threshold <= 1.0, "threshold must be in (0, 1]")
        require(self.symmetrise in COMBINATIONS, f"symmetrise must be one of {', '.join(COMBINATIONS)}")

    @property
    def name(self) -> str:
        rule = f"threshold {self.threshold:g}" if self.rule == "threshold" else self.rule
        return ("shifted " if self.shift else "") + rule


def split_pair(line: str, where: str = "") -> tuple[str, str]:
    """``source ||| target`` -> (source, target); a line without exactly one separator is a ValueError."""
    parts = line.split(PAIR_SEPARATOR)
    if len(parts) != 2:
        raise ValueError(f"{where}expected 'source {PAIR_SEPARATOR} target', found {len(parts) - 1} separators")
    return parts[0].strip(), parts[1].strip()


def read_pairs_file(path: str | Path) -> list[tuple[str, str]]:
    """A file of ``source ||| target`` lines -> the pairs (errors name the file and line)."""
    return [split_pair(line, f"{path}:{n + 1}: ") for n, line in enumerate(read_lines(path))]


def read_links_file(path: str | Path, one_indexed: bool = False) -> list[GoldLinks]:
    """A file of links lines (``i-j`` sure, ``ipj`` possible) -> 0-indexed GoldLinks, one per line."""
    return [parse_links(line, one_indexed, f"{path}:{n + 1}: ") for n, line in enumerate(read_lines(path))]


def check_links_fit(pairs: Sequence[tuple[str, str]], links: Sequence[GoldLinks], path: str | Path) -> None:
    """``links`` (read from ``path``) must have one line per pair, and no link may name a word past the end
    of its pair's whitespace words."""
    if len(links) != len(pairs):
        raise LinkError(f"{path} has {len(links)} lines but there are {len(pairs)} sentence pairs")
    for n, ((source, target), pair_links) in enumerate(zip(pairs, links, strict=True)):
        check_range(pair_links, len(source.split()), len(target.split()), f"{path}:{n + 1}: ")


def links_of(alignment: ForcedAlignment, method: AlignMethod, reverse: bool = False) -> set[Link]:
    """Links of one direction; ``reverse``: the alignment was made target -> source, so links are swapped."""
    links = extract(alignment.word_matrix(method.shift), method.rule, method.threshold)
    return {(j, i) for i, j in links} if reverse else links


def combined_links(forward: ForcedAlignment, backward: ForcedAlignment, method: AlignMethod) -> set[Link]:
    """Links of one pair from both directions: ``backward`` aligned the swapped pair (target -> source)."""
    if method.symmetrise in SOFT_SYMMETRISATIONS:
        return extract(link_matrix(forward, backward, method), method.rule, method.threshold)
    return symmetrise(links_of(forward, method), links_of(backward, method, reverse=True), method.symmetrise)


def alignment_json(alignment: ForcedAlignment, links: set[Link], shift: bool) -> dict[str, Any]:
    """A pair's forced alignment as ``align --json`` and ``POST /v1/align`` write it: words, pieces, the piece
    matrix (target pieces x source pieces), the word matrix (shifted or not) and the sorted links."""
    return {
        "source_words": alignment.source.words,
        "target_words": alignment.target.words,
        "source_pieces": alignment.source.pieces,
        "target_pieces": alignment.target.pieces,
        "piece_alignment": alignment.attention[:-1],
        "word_alignment": alignment.word_matrix(shift),
        "links": [list(link) for link in sorted(links)],
    }


def align_pairs(
    pairs: Sequence[tuple[str, str]], forward: Translator, method: AlignMethod, backward: Translator | None = None
) -> tuple[list[set[Link]], list[ForcedAlignment]]:
    """Links of every (source, target) pair, and the forward forced alignments they came from."""
    if backward is None:
        forced = force_align(forward.package.model, forward.package.tokenizer, pairs)
        return [links_of(a, method) for a in forced], forced
    forced, reverse = force_align_both(pairs, forward, backward)
    return [combined_links(f, r, method) for f, r in zip(forced, reverse, strict=True)], forced


def force_align_both(
    pairs: Sequence[tuple[str, str]], forward: Translator, backward: Translator
) -> tuple[list[ForcedAlignment], list[ForcedAlignment]]:
    """Every (source, target) pair force-aligned by ``forward`` and, swapped to (target, source), by ``backward``:
    the two directions' alignments, in the order of ``pairs``."""
    forced = force_align(forward.package.model, forward.package.tokenizer, pairs)
    reverse = force_align(backward.package.model, backward.package.tokenizer, [(t, s) for s, t in pairs])
    return forced, reverse


def link_matrix(forward: ForcedAlignment, backward: ForcedAlignment, method: AlignMethod) -> list[list[float]]:
    """The word matrix (target words x source words) that a pair's combined links weigh most on: both
    directions' mean for a soft symmetrisation, else the forward direction's own."""
    if method.symmetrise in SOFT_SYMMETRISATIONS:
        return mean_matrix(forward.word_matrix(method.shift), backward.word_matrix(method.shift))
    return forward.word_matrix(method.shift)


def document_links_both(
    document: DocumentTranslation, forward: Translator, backward: Translator, method: AlignMethod
) -> tuple[list[Span], list[Span], list[Link], list[WordRow]]:
    """``document_links`` with links that combine both directions (``method.symmetrise``), and the target words'
    rows of the matrix behind them (``link_matrix``): every sentence and its translation force-aligned by
    ``forward`` and, swapped, by ``backward``. A sentence whose whitespace words are not the translation's words
    (rare: special pieces) keeps its own one-direction links (``method.rule``) and rows."""
    return documents_links_both([document], forward, backward, method)[0]


def documents_links_both(
    documents: Sequence[DocumentTranslation], forward: Translator, backward: Translator, method: AlignMethod
) -> list[tuple[list[Span], list[Span], list[Link], list[WordRow]]]:
    """``document_links_both`` of every document, the sentences of all of them force-aligned together (in
    batches, one pass per direction)."""
    pairs = [[(d.source[slice(*s.source_span)], s.translation.text) for s in d.sentences] for d in documents]
    usable = [
        (n, k) for n, texts in enumerate(pairs) for k, (src, tgt) in enumerate(texts) if src.split() and tgt.split()
    ]
    fwd, bwd = force_align_both([pairs[n][k] for n, k in usable], forward, backward)
    combined: list[dict[int, tuple[set[Link], list[list[float]]]]] = [{} for _ in documents]
    for (n, k), f, r in zip(usable, fwd, bwd, strict=True):
        combined[n][k] = (combined_links(f, r, method), link_matrix(f, r, method))
    return [_assembled(d, pairs[n], combined[n], method) for n, d in enumerate(documents)]


def _assembled(
    document: DocumentTranslation,
    pairs: Sequence[tuple[str, str]],
    combined: dict[int, tuple[set[Link], list[list[float]]]],
    method: AlignMethod,
) -> tuple[list[Span], list[Span], list[Link], list[WordRow]]:
    """One document's words, links and rows, numbered over the whole text: each sentence's ``combined`` links
    and matrix (by sentence index) where its words are the pair's whitespace words, else its own."""
    source_words, target_words, links = document_links(document, method.rule)
    own_rows = document_rows(document)
    out: list[Link] = []
    rows: list[WordRow] = []
    src_at = tgt_at = 0
    for k, sentence in enumerate(document.sentences):
        n, m = len(sentence.source_words), len(sentence.target_words)
        if k in combined and n == len(pairs[k][0].split()) and m == len(pairs[k][1].split()):
            out += [(i + src_at, j + tgt_at) for i, j in sorted(combined[k][0])]
            rows += [WordRow(src_at, tuple(row)) for row in combined[k][1]]
        else:
            out += [(i, j) for i, j in links if src_at <= i < src_at + n and tgt_at <= j < tgt_at + m]
            rows += own_rows[tgt_at : tgt_at + m]
        src_at, tgt_at = src_at + n, tgt_at + m
    return source_words, target_words, out, rows
