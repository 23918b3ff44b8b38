"""Character spans of a source text carried onto its translation through word links: the one set of rules
that marked-up text (``translator.markup``) and glossaries (``translator.glossary``) share.

Words are character spans [start, end) of their text; a link (i, j) joins source word i and target word j.
"""

from __future__ import annotations

from collections.abc import Sequence

Span = tuple[int, int]  # [start, end) character offsets
Link = tuple[int, int]  # (source word, target word)


def covered_words(span: Span, words: Sequence[Span]) -> list[int]:
    """The words (by index) that lie inside ``span`` (a word half inside counts: nothing splits a word)."""
    return [i for i, (start, end) in enumerate(words) if start < span[1] and end > span[0]]


def linked_targets(sources: Sequence[int], links: Sequence[Link]) -> list[int]:
    """The target words linked to any of ``sources``, sorted, each once."""
    wanted = set(sources)
    return sorted({j for i, j in links if i in wanted})


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
