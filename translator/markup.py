"""Marked-up text through translation: inline tags carried across by the word alignment.

``extract_html`` parses an HTML fragment with lxml (a real parser, never a hand-written tag tokenizer) into
the plain text that is translated and the tags taken out of it: each inline element with the character span
of the text it wrapped, each empty element (``img``, ``x``) and each comment with the position it stood at
(comments are kept as they are, untranslated), and each ``<br>`` as a newline of the plain text (so it splits
sentences as a newline does). Block elements (``p``, ``li``, ``td``, headings, ...) start and end a line of the
plain text, so they split sentences too, and they wrap their whole translated lines. Elements left
untranslated (``script``, ``style``, ``code``, ``translate="no"``, and ``ignore_tags``) are kept whole, with
their content, where they stood. Malformed markup is read as lxml repairs it. XML is not handled yet.

``place_tags`` carries the tags over to a translation: an inline tag's target words are those linked to the
source words it covered (word links, ``translator.alignment``), grouped into runs of consecutive target
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

import lxml.etree
import lxml.html

from translator.alignment.projection import (
    Link,
    Span,
    after_translation_before,
    covered_words,
    linked_targets,
    runs,
)
from translator.document import DocumentTranslation, document_links
from translator.glossary import Applied, Glossary, apply_edits, choose_edits, find_terms, shifted

EMPTY_ELEMENTS = frozenset({"img", "input", "hr", "wbr", "x", "ph", "bx", "ex"})
BLOCK_ELEMENTS = frozenset(
    {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "td", "th", "tr", "table", "thead", "tbody", "tfoot", "caption",
     "blockquote", "section", "article", "header", "footer", "aside", "nav", "figure", "figcaption", "pre",
     "h1", "h2", "h3", "h4", "h5", "h6"}
)  # fmt: skip
UNTRANSLATED = frozenset({"script", "style", "code"})


class MarkupError(ValueError):
    """Markup that cannot be read (the message names the problem)."""


@dataclass(frozen=True)
class InlineTag:
    """An element taken out of the text: its opening and closing markup and the span of text it wrapped."""

    open: str
    close: str
    span: Span
    depth: int  # nesting level: outer tags have the smaller depth
    block: bool = False  # a block element: its span is whole lines, and so is its translation's


@dataclass(frozen=True)
class EmptyTag:
    """An element without content (``<img>``, ``<x id="1"/>``) and the text offset it stood at."""

    markup: str
    at: int


@dataclass(frozen=True)
class Marked:
    """Plain text (with ``<br>`` as newlines) and the tags taken out of it."""

    text: str
    inline: tuple[InlineTag, ...]
    empty: tuple[EmptyTag, ...]
    breaks: tuple[str | None, ...]  # each newline in order: its <br> markup, "" (a real newline) or None (a block edge)


def _open_tag(element: lxml.etree._Element) -> str:
    attributes = "".join(f' {name}="{html.escape(value, quote=True)}"' for name, value in element.attrib.items())
    return f"<{element.tag}{attributes}>"


class _Walker:
    """Collects the text, tags and breaks of a parsed fragment, in document order."""

    def __init__(self, ignore: frozenset[str], blocks: frozenset[str]) -> None:
        self.ignore, self.blocks = ignore, blocks
        self.parts: list[str] = []
        self.length = 0
        self.inline: list[InlineTag] = []
        self.empty: list[EmptyTag] = []
        self.breaks: list[str | None] = []
        self.line_start = True  # nothing yet on the current line of the plain text

    def text(self, value: str | None) -> None:
        for k, piece in enumerate((value or "").split("\n")):
            if k:
                self._newline("")
            self.parts.append(piece)
            self.length += len(piece)
            self.line_start = self.line_start and not piece

    def _newline(self, markup: str | None) -> None:
        self.parts.append("\n")
        self.length += 1
        self.breaks.append(markup)
        self.line_start = True

    def _line_edge(self) -> None:
        """A block edge: a newline (dropped again on output) unless the text is at a line start already."""
        if not self.line_start:
            self._newline(None)

    def _kept_whole(self, element: lxml.etree._Element) -> bool:
        return not isinstance(element.tag, str) or element.tag in self.ignore or element.get("translate") == "no"

    def element(self, element: lxml.etree._Element, depth: int) -> None:
        if self._kept_whole(element):  # comments, untranslated elements: as they are, with their content
            self.empty.append(EmptyTag(lxml.etree.tostring(element, with_tail=False, encoding="unicode"), self.length))
        elif element.tag == "br":
            self._newline(_open_tag(element))
        elif element.tag in EMPTY_ELEMENTS and len(element) == 0 and not element.text:
            self.empty.append(EmptyTag(_open_tag(element), self.length))
        else:
            block = element.tag in self.blocks
            if block:
                self._line_edge()
            start = self.length
            self.text(element.text)
            for child in element:
                self.element(child, depth + 1)
            self.inline.append(InlineTag(_open_tag(element), f"</{element.tag}>", (start, self.length), depth, block))
            if block:
                self._line_edge()
        self.text(element.tail)


def extract_html(fragment: str, ignore_tags: Sequence[str] = (), non_splitting_tags: Sequence[str] = ()) -> Marked:
    """The plain text and tags of an HTML fragment (MarkupError when lxml cannot read it). ``ignore_tags``:
    more elements kept untranslated; ``non_splitting_tags``: block elements carried like inline ones."""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError) as err:
        raise MarkupError(f"the HTML cannot be read: {err}") from None
    walker = _Walker(UNTRANSLATED | set(ignore_tags), BLOCK_ELEMENTS - set(non_splitting_tags))
    walker.text(root.text)
    for child in root:
        walker.element(child, 0)
    text = "".join(walker.parts)
    if walker.breaks and walker.breaks[-1] is None and text.endswith("\n"):  # a last block's edge: no line after
        text, walker.breaks = text[:-1], walker.breaks[:-1]
    return Marked(text, tuple(walker.inline), tuple(walker.empty), tuple(walker.breaks))


@dataclass(frozen=True)
class Placed:
    """A tag placed in the translation: markup and the target span it wraps (empty span: an empty element
    or a tag whose words found no counterpart, kept where its neighbours went)."""

    open: str
    close: str
    span: Span
    depth: int


def _line_span(span: Span, source: str, target: str) -> Span:
    """A block's span, whole lines of ``source``, as the same lines of ``target`` (translation keeps lines)."""
    breaks = [i for i, char in enumerate(target) if char == "\n"]
    starts, ends = [0, *(i + 1 for i in breaks)], [*breaks, len(target)]
    end = span[1] - 1 if span[1] > span[0] and source[span[1] - 1] == "\n" else span[1]  # an inner block's edge
    first, last = source.count("\n", 0, span[0]), source.count("\n", 0, end)
    return starts[min(first, len(starts) - 1)], ends[min(last, len(ends) - 1)]


def place_tags(
    marked: Marked, source_words: Sequence[Span], target_words: Sequence[Span], links: Sequence[Link], target: str
) -> list[Placed]:
    """Every tag of ``marked`` placed over the translation ``target`` whose words are ``target_words`` (spans
    in it), given the word ``links`` (source word, target word) of the translation."""
    placed: list[Placed] = []
    for tag in marked.inline:
        if tag.block:
            placed.append(Placed(tag.open, tag.close, _line_span(tag.span, marked.text, target), tag.depth))
            continue
        linked = linked_targets(covered_words(tag.span, source_words), links)
        if not linked:  # nothing to wrap: keep the tag, empty, after the translation of the word before it
            at = after_translation_before(tag.span[0], source_words, target_words, links)
            placed.append(Placed(tag.open, tag.close, (at, at), tag.depth))
        for first, last in runs(linked):
            placed.append(Placed(tag.open, tag.close, (target_words[first][0], target_words[last][1]), tag.depth))
    for empty in marked.empty:
        at = after_translation_before(empty.at, source_words, target_words, links)
        placed.append(Placed(empty.markup, "", (at, at), -1))
    return placed


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
    stack: list[Placed] = []
    events, cursor = _events(placed), 0
    for offset in sorted(events):
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
        for tag in sorted(opening, key=lambda t: (-t.span[1], t.depth)):
            out.append(tag.open)
            if tag.span[0] == tag.span[1]:
                out.append(tag.close)
            else:
                stack.append(tag)
    out.append(html.escape(text[cursor:], quote=False))
    return _with_breaks("".join(out), breaks)


def _with_breaks(rendered: str, breaks: Sequence[str | None]) -> str:
    """The k-th newline written back as what it was (``breaks[k]``): its ``<br>``, a newline (""), or nothing
    (None: the edge of a block element, whose tags now mark it)."""
    lines = rendered.split("\n")
    joined = lines[0]
    for k, line in enumerate(lines[1:]):
        kind = breaks[k] if k < len(breaks) else ""
        joined += ("\n" if kind == "" else kind or "") + line
    return joined


def marked_translation(
    document: DocumentTranslation, marked: Marked, link_rule: str, glossary: Glossary | None = None
) -> tuple[str, list[Applied]]:
    """The translation of ``marked.text`` (``document``) with ``marked``'s tags placed by its word links and,
    with a ``glossary``, its terms put in (the tags placed as without it, their ends moved with the edits),
    and where each term went (in the translation without tags)."""
    source_words, target_words, links = document_links(document, link_rule)
    placed = place_tags(marked, source_words, target_words, links, document.text)
    if glossary is None:
        return render(document.text, placed, marked.breaks), []
    edits = choose_edits(find_terms(document.source, glossary), source_words, target_words, links)
    text, applied = apply_edits(document.text, edits)
    moved = [
        replace(tag, span=(shifted(tag.span[0], edits, False), shifted(tag.span[1], edits, True))) for tag in placed
    ]
    return render(text, moved, marked.breaks), applied
