"""Tags carried across a translation by its word alignment, and the translation written with them.

``place_tags`` carries the tags of a ``Marked`` text (``translator.markup.extract``) over to a translation: an
inline tag's target words are those linked to the source words it covered (word links,
``translator.alignment``), less those whose attention lies mostly elsewhere and with the unlinked words
between them (``translator.alignment.projection.tag_targets``), grouped into runs of consecutive target
words; an empty element follows the translation of the word it followed. ``render`` writes the translation
with every tag around its runs. The output is well-formed by construction: tags open and close at word
boundaries only, and where two placed tags cross, the inner one is closed and reopened (with the same
attributes) around the other's boundary, so every tag of the input appears, and a tag whose target words are
not contiguous appears once per run.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, replace

from translator.alignment.projection import (
    Link,
    Span,
    WordRow,
    after_translation_before,
    covered_words,
    runs,
    tag_targets,
)
from translator.document import DocumentTranslation, document_links, document_rows
from translator.glossary import Applied, Glossary, apply_edits, choose_edits, find_terms, shifted
from translator.markup.extract import Marked

# source words, target words, links, and the target words' attention rows (None: the links alone)
WordLinks = tuple[Sequence[Span], Sequence[Span], Sequence[Link], Sequence[WordRow] | None]


@dataclass(frozen=True)
class Placed:
    """A tag placed in the translation: markup and the target span it wraps (empty span: an empty element
    or a tag whose words found no counterpart, kept where its neighbours went)."""

    open: str
    close: str
    span: Span
    depth: int
    block: bool = False  # an empty block element is put before the tags that open where it stands, not inside


def _line_span(span: Span, source: str, target: str) -> Span:
    """A block's span, whole lines of ``source``, as the same lines of ``target`` (translation keeps lines)."""
    breaks = [i for i, char in enumerate(target) if char == "\n"]
    starts, ends = [0, *(i + 1 for i in breaks)], [*breaks, len(target)]
    end = span[1] - 1 if span[1] > span[0] and source[span[1] - 1] == "\n" else span[1]  # an inner block's edge
    first, last = source.count("\n", 0, span[0]), source.count("\n", 0, end)
    return starts[min(first, len(starts) - 1)], ends[min(last, len(ends) - 1)]


UNNESTABLE = frozenset({"</a>"})  # (closing markup of) elements that HTML5 never puts one inside another: links


def place_tags(
    marked: Marked,
    source_words: Sequence[Span],
    target_words: Sequence[Span],
    links: Sequence[Link],
    target: str,
    rows: Sequence[WordRow] | None = None,
) -> list[Placed]:
    """Every tag of ``marked`` placed over the translation ``target`` whose words are ``target_words`` (spans
    in it), given the word ``links`` (source word, target word) of the translation and, when known, the
    attention ``rows`` of its target words (``tag_targets``). A target word wrapped by two links (``<a>``)
    stays with the first one (the inner one, where they were nested), so that links never nest."""
    placed: list[Placed] = []
    claimed: dict[str, set[int]] = {}  # per unnestable element, the target words one of its tags wraps already
    for tag in marked.inline:  # inner tags come before the tags around them
        if tag.block:  # whole lines; an empty block (<p></p>) stays empty at the line edge it stood at
            span = _line_span(tag.span, marked.text, target)
            if tag.span[0] == tag.span[1]:
                at_start = tag.span[0] == 0 or marked.text[tag.span[0] - 1] == "\n"
                span = (span[0], span[0]) if at_start else (span[1], span[1])
            placed.append(Placed(tag.open, tag.close, span, tag.depth, True))
            continue
        linked = tag_targets(covered_words(tag.span, source_words), links, rows)
        if tag.close in UNNESTABLE:
            taken = claimed.setdefault(tag.close, set())
            linked = [j for j in linked if j not in taken]
            taken.update(linked)
        if not linked:  # nothing to wrap: keep the tag, empty, after the translation of the word before it
            at = after_translation_before(tag.span[0], source_words, target_words, links)
            placed.append(Placed(tag.open, tag.close, (at, at), tag.depth))
        for first, last in runs(linked):
            placed.append(Placed(tag.open, tag.close, (target_words[first][0], target_words[last][1]), tag.depth))
    for empty in marked.empty:
        at = after_translation_before(empty.at, source_words, target_words, links)
        placed.append(Placed(empty.markup, "", (at, at), -1))
    return [_outside_its_kind(tag, placed) for tag in placed]


def _outside_its_kind(tag: Placed, placed: Sequence[Placed]) -> Placed:
    """An empty unnestable tag that would stand inside a run of its own kind, moved to that run's end."""
    if tag.close not in UNNESTABLE or tag.span[0] != tag.span[1]:
        return tag
    at, moved = tag.span[0], True
    while moved:  # runs of one kind are disjoint: each move goes right, past one run
        inside = [o.span[1] for o in placed if o.close == tag.close and o.span[0] <= at < o.span[1]]
        moved = bool(inside)
        at = max(inside, default=at)
    return replace(tag, span=(at, at))


def _events(placed: Sequence[Placed]) -> dict[int, list[tuple[int, Placed]]]:
    """Per offset, the tags that open (kind 1) or close (kind 0) there; empty spans open and close at once."""
    events: dict[int, list[tuple[int, Placed]]] = {}
    for tag in placed:
        events.setdefault(tag.span[0], []).append((1, tag))
        if tag.close:
            events.setdefault(tag.span[1], []).append((0, tag))
    return events


def render(text: str, placed: Sequence[Placed], breaks: Sequence[str | None] = ()) -> str:
    """``text`` (escaped) with every placed tag around its span, well-formed: a tag that would close while a
    tag opened after it is still open closes that one first and reopens it after."""
    out: list[str] = []
    texts: list[int] = []  # where in ``out`` the pieces of text are (only they hold the text's newlines)
    stack: list[Placed] = []
    events, cursor = _events(placed), 0
    for offset in sorted(events):
        texts.append(len(out))
        out.append(html.escape(text[cursor:offset], quote=False))
        cursor = offset
        closing = [tag for kind, tag in events[offset] if kind == 0 and tag.span[0] < tag.span[1]]
        for tag in sorted(closing, key=stack.index, reverse=True):
            above = stack[stack.index(tag) + 1 :]
            out.extend(t.close for t in reversed(above))
            out.append(tag.close)
            stack = stack[: stack.index(tag)] + above
            out.extend(t.open for t in above)
        opening = [tag for kind, tag in events[offset] if kind == 1]
        for tag in sorted(opening, key=lambda t: (not (t.block and t.span[0] == t.span[1]), -t.span[1], t.depth)):
            out.append(tag.open)
            if tag.span[0] == tag.span[1]:
                out.append(tag.close)
            else:
                stack.append(tag)
    texts.append(len(out))
    out.append(html.escape(text[cursor:], quote=False))
    kinds = iter(breaks)  # the k-th newline of the text written back as what it was: see _break
    for i in texts:
        out[i] = "".join(_break(next(kinds, "")) if char == "\n" else char for char in out[i])
    return "".join(out)


def _break(kind: str | None) -> str:
    """A newline of the text as it was in the input (``Marked.breaks``): its ``<br>``, a newline (""), or
    nothing (None: the edge of a block element, whose tags now mark it). A newline inside kept markup (a
    comment, a script) is not one of them."""
    return "\n" if kind == "" else kind or ""


def marked_translation(
    document: DocumentTranslation,
    marked: Marked,
    link_rule: str,
    glossary: Glossary | None = None,
    word_links: WordLinks | None = None,
) -> tuple[str, list[Applied]]:
    """The translation of ``marked.text`` (``document``) with ``marked``'s tags placed by its word links and,
    with a ``glossary``, its terms put in (the tags placed as without it, their ends moved with the edits),
    and where each term went (in the translation without tags). The links are the translation's own
    (``link_rule``, with the attention rows behind them) unless ``word_links`` (``WordLinks``) are
    given, e.g. both directions' (``translator.alignment.aligner.document_links_both``)."""
    if word_links is None:
        word_links = (*document_links(document, link_rule), document_rows(document))
    source_words, target_words, links, rows = word_links
    placed = place_tags(marked, source_words, target_words, links, document.text, rows)
    if glossary is None:
        return render(document.text, placed, marked.breaks), []
    edits = choose_edits(find_terms(document.source, glossary), source_words, target_words, links)
    text, applied = apply_edits(document.text, edits)
    moved = [
        replace(tag, span=(shifted(tag.span[0], edits, False), shifted(tag.span[1], edits, True))) for tag in placed
    ]
    return render(text, moved, marked.breaks), applied
