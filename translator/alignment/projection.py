"""Character spans of a source text carried onto its translation through word links: the one set of rules
that marked-up text (``translator.markup``) and glossaries (``translator.glossary``) share.

Words are character spans [start, end) of their text; a link (i, j) joins source word i and target word j.
A tag's target words (``tag_targets``) also read the attention rows behind the links (``WordRow``) when there
are some: a linked target word whose attention lies mostly outside the tag's words is left out of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Span = tuple[int, int]  # [start, end) character offsets
Link = tuple[int, int]  # (source word, target word)


def covered_words(span: Span, words: Sequence[Span]) -> list[int]:
    """The words (by index) that lie inside ``span`` (a word half inside counts: nothing splits a word)."""
    return [i for i, (start, end) in enumerate(words) if start < span[1] and end > span[0]]


def linked_targets(sources: Sequence[int], links: Sequence[Link]) -> list[int]:
    """The target words linked to any of ``sources``, sorted, each once."""
    wanted = set(sources)
    return sorted({j for i, j in links if i in wanted})


TAG_SHARE = 0.5  # a linked target word joins a tag when more than this share of its attention is on the tag's words


@dataclass(frozen=True)
class WordRow:
    """One target word's attention over the source words of its sentence: ``first`` is the text-wide index of
    that sentence's first source word, ``weights`` (source words of the sentence,) the word matrix's row."""

    first: int
    weights: tuple[float, ...]

    def share(self, sources: set[int]) -> float:
        """The part of this row's weight that lies on the source words ``sources`` (text-wide indices)."""
        total = sum(self.weights)
        inside = sum(w for k, w in enumerate(self.weights) if self.first + k in sources)
        return inside / total if total > 0 else 0.0


def tag_targets(sources: Sequence[int], links: Sequence[Link], rows: Sequence[WordRow] | None = None) -> list[int]:
    """The target words (sorted) a tag over the source words ``sources`` wraps: those linked to them, less those
    whose attention row (``rows``, one per target word, when given) puts no more than ``TAG_SHARE`` on them
    (unless that would leave none), and with every gap between two of them whose words are linked to no
    source word outside the tag (words the links left out between words of the tag belong to it)."""
    wanted = set(sources)
    linked = linked_targets(sources, links)
    if rows is not None:
        linked = [j for j in linked if rows[j].share(wanted) > TAG_SHARE] or linked
    elsewhere = {j for i, j in links if i not in wanted}
    grouped = runs(linked)
    filled = list(linked)
    for (_, end), (start, _) in zip(grouped, grouped[1:]):
        gap = range(end + 1, start)
        if not any(j in elsewhere for j in gap):
            filled += gap
    return sorted(filled)


def runs(indices: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted word indices grouped into runs of consecutive indices, as (first, last) pairs."""
    grouped: list[tuple[int, int]] = []
    for i in sorted(set(indices)):
        if grouped and i == grouped[-1][1] + 1:
            grouped[-1] = (grouped[-1][0], i)
        else:
            grouped.append((i, i))
    return grouped


def after_translation_before(
    offset: int, source_words: Sequence[Span], target_words: Sequence[Span], links: Sequence[Link]
) -> int:
    """Where something that stood at source ``offset`` goes when it has no words of its own: after the last
    target word linked to the nearest source word before it that has a link (0 when none has)."""
    for i in reversed([i for i, (_, end) in enumerate(source_words) if end <= offset]):
        linked = linked_targets([i], links)
        if linked:
            return target_words[linked[-1]][1]
    return 0
