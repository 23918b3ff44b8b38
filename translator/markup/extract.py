"""Marked-up text taken apart: the plain text that is translated and the tags taken out of it.

``extract`` parses an HTML fragment with html5lib (HTML5's parsing rules, as a browser reads it) and an XML
fragment with lxml: real parsers, never a hand-written tag tokenizer.
Each inline element is recorded with the character span of the text it wrapped, each empty element (``img``,
``<x id="1"/>``) and each comment or processing instruction with the position it stood at (comments are kept
as they are, untranslated). A ``<br>`` where the text before it ends a sentence (``SENTENCE_END``), or at the
start of a line, is a newline of the plain text (so it splits sentences as a newline does); a ``<br>`` inside
a sentence is kept as an empty element (with a space in the plain text), so that the sentence is translated
whole and the break follows the translation of the word before it. ``br`` among the ``splitting_tags`` makes
every ``<br>`` a newline, among the ``non_splitting_tags`` none. Block elements (HTML's ``p``, ``li``, ``td``,
headings, ...; for XML the ``splitting_tags`` of the request) start and end a line of the plain text, so they
split sentences too, and they wrap their whole translated lines. Elements left untranslated (``script``,
``style``, ``code``, ``translate="no"``, and ``ignore_tags``) are kept whole, with their content, where they
stood.

Malformed HTML is read as the HTML5 parser repairs it; malformed XML is refused (MarkupError naming the
problem, as the XML parser words it). The XML parser resolves no entity and reads no DTD or network resource,
so an entity-expansion bomb is refused, not expanded. Tags nested deeper than ``MAX_DEPTH`` are refused in
both formats.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from xml.etree import ElementTree

import html5lib
import lxml.etree

from translator.alignment.projection import Span

MARKUP_FORMATS = ("html", "xml")  # the formats whose tags are carried across (besides plain "text")
MAX_DEPTH = 100  # tags nested deeper than this are refused
# text that ends a sentence: final punctuation, then closing quotes or brackets, then spaces (a <br> after it splits)
SENTENCE_END = re.compile(r"[.!?…。！？:;][\"'»”’)\]]*\s*$")
HTML_VOID = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
EMPTY_ELEMENTS = HTML_VOID | {"x", "ph", "bx", "ex"}  # HTML: void elements and placeholders (written <x></x>)
BLOCK_ELEMENTS = frozenset(
    {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "td", "th", "tr", "table", "thead", "tbody", "tfoot", "caption",
     "blockquote", "section", "article", "header", "footer", "aside", "nav", "figure", "figcaption", "pre",
     "h1", "h2", "h3", "h4", "h5", "h6"}
)  # fmt: skip
UNTRANSLATED = frozenset({"script", "style", "code"})
_BAD_HTML_ATTRIBUTE = re.compile("[\"'<=]")  # an attribute name only malformed HTML gives (``<b x"=1>``): dropped
Node = Any  # a parsed element: lxml's (XML) or ElementTree's (HTML), both read through the same ElementTree API
_TOO_DEEP = f"tags are nested more than {MAX_DEPTH} deep"
_XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
_WRAPPER = "markup-fragment"  # the element an XML fragment is parsed inside (a fragment may have several roots)


class MarkupError(ValueError):
    """Markup that cannot be read (the message names the problem)."""


@dataclass(frozen=True)
class TagOptions:
    """How a request's elements are read, in the manner of DeepL: ``ignore_tags``, more elements kept
    untranslated; ``splitting_tags``, more block elements (XML has none of its own); ``non_splitting_tags``,
    block elements carried like inline ones. Names are matched as written (HTML's are lower case)."""

    ignore_tags: tuple[str, ...] = ()
    non_splitting_tags: tuple[str, ...] = ()
    splitting_tags: tuple[str, ...] = ()


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


def _qualified(name: str, element: Node, declared: dict[str, str]) -> str:
    """``{uri}local`` as ``prefix:local`` (recording the prefix in ``declared``); a plain name as it is."""
    if not name.startswith("{"):
        return name
    uri, local = name[1:].split("}", 1)
    if uri == _XML_NAMESPACE:
        return f"xml:{local}"
    prefix = next((p for p, u in element.nsmap.items() if u == uri), None)
    declared[f"xmlns:{prefix}" if prefix else "xmlns"] = uri
    return f"{prefix}:{local}" if prefix else local


def _tag_markup(element: Node, xml: bool) -> tuple[str, str]:
    """The opening markup of ``element`` (every attribute as given but for names that no HTML5 parser reads
    without an error; every namespace it uses declared on it, so a copy placed anywhere is well-formed) and its
    name."""
    declared: dict[str, str] = {}
    name = _qualified(element.tag, element, declared) if xml else element.tag
    attributes = {
        _qualified(k, element, declared) if xml else k: v
        for k, v in element.attrib.items()
        if xml or not _BAD_HTML_ATTRIBUTE.search(k)
    }
    written = "".join(f' {k}="{html.escape(v, quote=True)}"' for k, v in {**declared, **attributes}.items())
    return f"<{name}{written}", name


class _Walker:
    """Collects the text, tags and breaks of a parsed fragment, in document order."""

    def __init__(self, xml: bool, ignore: frozenset[str], blocks: frozenset[str], options: TagOptions) -> None:
        self.xml, self.ignore, self.blocks = xml, ignore, blocks
        self.breaks_split = "br" in options.splitting_tags  # every <br> a newline, or (non-splitting) none
        self.breaks_inline = "br" in options.non_splitting_tags and not self.breaks_split
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

    def _line_before(self) -> str:
        """The plain text of the current line so far."""
        tail: list[str] = []
        for part in reversed(self.parts):
            if "\n" in part:
                tail.append(part.rsplit("\n", 1)[1])
                break
            tail.append(part)
        return "".join(reversed(tail))

    def _break(self, markup: str) -> None:
        """A ``<br>``: a newline where it ends a sentence (or a line is empty so far), else an empty element
        with a space, kept inside its sentence (module docstring)."""
        line = self._line_before()
        if self.breaks_split or (not self.breaks_inline and (not line.strip() or SENTENCE_END.search(line))):
            self._newline(markup)
            return
        self.empty.append(EmptyTag(markup, self.length))
        self.parts.append(" ")
        self.length += 1

    def _line_edge(self) -> None:
        """A block edge: a newline (dropped again on output) unless the text is at a line start already."""
        if not self.line_start:
            self._newline(None)

    def _whole(self, element: Node) -> str:
        """An element kept untranslated, as markup (HTML: script and style contents as written, not escaped;
        a comment with a "--" inside, which HTML5 parsers before 2016 refuse, or another one that HTML5 forbids,
        made valid by a space)."""
        if self.xml:
            return lxml.etree.tostring(element, with_tail=False, encoding="unicode")
        if element.tag is not ElementTree.Comment:
            alone = copy.copy(element)  # ElementTree writes an element's tail too
            alone.tail = None
            return ElementTree.tostring(alone, method="html", encoding="unicode")
        text = element.text or ""
        while "--" in text:
            text = text.replace("--", "- -")
        text = " " + text if text.startswith((">", "->")) else text
        return f"<!--{text}{' ' if text.endswith('-') else ''}-->"

    def _is_empty(self, element: Node) -> bool:
        without_content = len(element) == 0 and not element.text
        return without_content and (self.xml or element.tag in EMPTY_ELEMENTS)

    def element(self, element: Node, depth: int) -> None:
        if depth >= MAX_DEPTH:
            raise MarkupError(_TOO_DEEP)
        tagged = isinstance(element.tag, str)  # not a comment or a processing instruction
        opening, name = _tag_markup(element, self.xml) if tagged else ("", "")
        if not tagged or name in self.ignore or element.get("translate") == "no":  # kept as it is, content too
            self.empty.append(EmptyTag(self._whole(element), self.length))
        elif self._is_empty(element):
            markup = opening + ("/>" if self.xml else ">" if name in HTML_VOID else f"></{name}>")
            if name == "br":
                self._break(markup)
            else:
                self.empty.append(EmptyTag(markup, self.length))
        else:
            block = name in self.blocks
            if block:
                self._line_edge()
            start = self.length
            self.text(element.text)
            for child in element:
                self.element(child, depth + 1)
            self.inline.append(InlineTag(opening + ">", f"</{name}>", (start, self.length), depth, block))
            if block:
                self._line_edge()
        self.text(element.tail)


def _parsed(fragment: str, xml: bool) -> tuple[str | None, list[Node]]:
    """The fragment's leading text and its top-level nodes (MarkupError when the fragment cannot be read)."""
    if not xml:  # HTML5's parsing rules, as a browser reads the fragment (and as the output is read back);
        # ElementTree nodes, which keep any attribute name a browser keeps (lxml refuses "xml:lang" or ":href")
        parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree", ElementTree), namespaceHTMLElements=False)
        root = parser.parseFragment(fragment, container="div")
        return root.text, list(root)
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = lxml.etree.fromstring(f"<{_WRAPPER}>{fragment}</{_WRAPPER}>", parser)
    except lxml.etree.XMLSyntaxError as err:
        if "Excessive depth" in err.msg:  # libxml2's own limit (256), far beyond ours
            raise MarkupError(_TOO_DEEP) from None
        raise MarkupError(f"the XML cannot be read: {err.msg}") from None
    return root.text, list(root)


def extract(fragment: str, fmt: str = "html", options: TagOptions = TagOptions()) -> Marked:
    """The plain text and tags of an HTML or XML (``fmt``) fragment, read as ``options`` say. MarkupError
    when the fragment cannot be read."""
    if fmt not in MARKUP_FORMATS:
        raise MarkupError(f"unknown markup format {fmt!r}: use one of {', '.join(MARKUP_FORMATS)}")
    xml = fmt == "xml"
    leading, nodes = _parsed(fragment, xml)
    blocks = ((frozenset() if xml else BLOCK_ELEMENTS) | set(options.splitting_tags)) - set(options.non_splitting_tags)
    walker = _Walker(xml, (frozenset() if xml else UNTRANSLATED) | set(options.ignore_tags), blocks, options)
    walker.text(leading)
    for node in nodes:
        walker.element(node, 0)
    text, inline = "".join(walker.parts), walker.inline
    if walker.breaks and walker.breaks[-1] is None and text.endswith("\n"):  # a last block's edge: no line after
        text, walker.breaks = text[:-1], walker.breaks[:-1]
        inline = [replace(tag, span=(min(tag.span[0], len(text)), min(tag.span[1], len(text)))) for tag in inline]
    return Marked(text, tuple(inline), tuple(walker.empty), tuple(walker.breaks))


def extract_html(fragment: str, ignore_tags: Sequence[str] = (), non_splitting_tags: Sequence[str] = ()) -> Marked:
    """``extract`` for an HTML fragment."""
    return extract(fragment, "html", TagOptions(tuple(ignore_tags), tuple(non_splitting_tags)))
