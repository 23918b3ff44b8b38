"""XML fragments (namespaces, placeholders, processing instructions, request-named blocks; malformed XML,
entity bombs and deep nesting refused), and a fuzz corpus of malformed fragments in both formats: the output
is always well-formed (HTML: an HTML5 parser reads it without a parse error), and every element the parser
kept (HTML: after its repairs) is in the output."""

from __future__ import annotations

import random
import re
from collections import Counter

import html5lib
import lxml.etree
import pytest

from translator.markup import MAX_DEPTH, MarkupError, TagOptions, extract, place_tags, render

PIECES = (
    "word", "Hund", "<b>", "</b>", '<i class="c">', "</i>", "<a href='/x?a=1&b=2'>", "</a>", "<p>", "</p>", "<br>",
    "<img src=x>", "<!-- note", "-->", "<!-- c -->", "&", "&amp;", "&bogus;", "&#233;", "<", ">", "</", "<span",
    '"', "<![CDATA[x<y]]>", "<?pi data?>", "<script>1<2</script>", "</td>", "<li>", '<x id="1"/>', "<seg>", "</seg>",
    "<n:t xmlns:n='urn:n'>", "</n:t>", "\n", " ", " ", " ",
)  # fmt: skip


def _words(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


NO_OPTIONS = TagOptions()


def _translated(fragment: str, fmt: str, rng: random.Random, options: TagOptions = NO_OPTIONS) -> str:
    """The fragment through a made-up translation (its words reversed per line) with random links."""
    marked = extract(fragment, fmt, options)
    target = "\n".join(" ".join(reversed(line.split())) for line in marked.text.split("\n"))
    source_words, target_words = _words(marked.text), _words(target)
    links = [(i, j) for i in range(len(source_words)) for j in range(len(target_words)) if rng.random() < 0.3]
    return render(target, place_tags(marked, source_words, target_words, links, target), marked.breaks)


def _xml_root(fragment: str) -> lxml.etree._Element:
    return lxml.etree.fromstring(f"<wrapper>{fragment}</wrapper>")


def _elements(root: lxml.etree._Element) -> Counter:
    return Counter(e.tag for e in root.iter() if isinstance(e.tag, str))


def test_xml_keeps_namespaces_placeholders_and_instructions_and_parses_back() -> None:
    fragment = 'a <n:b xmlns:n="urn:n" xml:lang="fr" n:k="1">big <c/></n:b> dog<x id="1"/> &amp; <?pi x?><!-- c -->'
    marked = extract(fragment, "xml")
    assert marked.text == "a big  dog &amp; ".replace("&amp;", "&")
    out = _translated(fragment, "xml", random.Random(0))
    root = _xml_root(out)
    assert _elements(root) >= _elements(_xml_root(fragment))
    assert '<x id="1"/>' in out and "<?pi x?>" in out and "<!-- c -->" in out and "&amp;" in out
    assert any(e.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr" for e in root.iter("{urn:n}b"))


def test_xml_blocks_are_the_ones_the_request_names_and_names_are_case_sensitive() -> None:
    assert extract("<seg>one</seg><seg>two</seg>", "xml").text == "onetwo"
    assert extract("<seg>one</seg><seg>two</seg>", "xml", TagOptions(splitting_tags=("seg",))).text == "one\ntwo"
    assert extract("<Seg>one</Seg><Seg>two</Seg>", "xml", TagOptions(splitting_tags=("seg",))).text == "onetwo"
    assert extract("<seg>one</seg> <n>x</n>", "xml", TagOptions(ignore_tags=("n",))).text == "one "
    assert extract("<p>one</p><p>two</p>", "xml").text == "onetwo"  # no HTML blocks in XML


@pytest.mark.parametrize(
    ("fragment", "problem"),
    [
        ("<b>one <i>two</b></i>", "Opening and ending tag mismatch"),
        ('<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>&b;', "the XML cannot be read"),
        ("&lol9;", "Entity 'lol9' not defined"),
        ("<b>" * 300 + "x" + "</b>" * 300, f"tags are nested more than {MAX_DEPTH} deep"),
    ],
)
def test_malformed_xml_bombs_and_deep_nesting_are_refused_with_the_problem_named(fragment: str, problem: str) -> None:
    with pytest.raises(MarkupError, match=re.escape(problem)):
        extract(fragment, "xml")


def test_html_nested_deeper_than_the_limit_is_refused_and_at_the_limit_is_kept() -> None:
    with pytest.raises(MarkupError, match=f"nested more than {MAX_DEPTH} deep"):
        extract("<b>" * 1000 + "x" + "</b>" * 1000, "html")
    assert len(extract("<b>" * MAX_DEPTH + "x" + "</b>" * MAX_DEPTH, "html").inline) == MAX_DEPTH


def _fragment(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 25)))


def _html_elements(markup: str) -> Counter:
    """The elements of ``markup`` as an HTML5 parser reads it after its repairs."""
    parser = html5lib.HTMLParser(namespaceHTMLElements=False)
    return _elements(parser.parseFragment(markup, container="div"))


def _html5_elements(output: str) -> Counter:
    """The elements of ``output`` as an HTML5 parser reads it, strictly: any parse error (a repair) raises."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return _elements(parser.parseFragment(output, container="div"))


@pytest.mark.parametrize("seed", range(300))
def test_malformed_html_is_repaired_and_the_output_is_well_formed_with_every_kept_element(seed: int) -> None:
    rng = random.Random(seed)
    fragment = _fragment(rng)
    out = _translated(fragment, "html", rng)
    assert _html5_elements(out) >= _html_elements(fragment), fragment


@pytest.mark.parametrize("seed", range(300))
def test_malformed_xml_is_refused_or_comes_back_well_formed_with_every_element(seed: int) -> None:
    rng = random.Random(seed)
    fragment = _fragment(rng)
    try:
        out = _translated(fragment, "xml", rng, TagOptions(splitting_tags=("seg",)))
    except MarkupError as err:
        assert str(err).startswith("the XML cannot be read") or "deep" in str(err)
        return
    assert _elements(_xml_root(out)) >= _elements(_xml_root(fragment)), fragment
