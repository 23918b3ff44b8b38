"""Tags carried across a translation by its word links: the right words wrapped, attributes kept, runs
reopened, empty elements and line breaks kept, and well-formed output for any placement (checked by
parsing it back), with no tag inside a word."""

from __future__ import annotations

import random
import re

import lxml.etree
import lxml.html
import pytest

from translator.alignment.projection import WordRow, runs, tag_targets
from translator.markup import TagOptions, extract, extract_html, place_tags, render


def _words(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def _translate(fragment: str, target: str, links: list[tuple[int, int]], rows: list[WordRow] | None = None) -> str:
    marked = extract_html(fragment)
    placed = place_tags(marked, _words(marked.text), _words(target), links, target, rows)
    return render(target, placed, marked.breaks)


def _reparsed(output: str) -> str:
    """The output as an HTML parser reads and writes it back: equal to the output when nothing was repaired."""
    root = lxml.html.fragment_fromstring(output, create_parent="div")
    return lxml.etree.tostring(root, method="html", encoding="unicode")[len("<div>") : -len("</div>")]


def test_a_tag_wraps_the_translation_of_its_words_with_its_attributes() -> None:
    out = _translate('a <b class="x" title="&quot;q&quot;">big</b> dog', "un grand chien", [(0, 0), (1, 1), (2, 2)])
    assert out == 'un <b class="x" title="&quot;q&quot;">grand</b> chien'


def test_words_that_are_not_contiguous_in_the_translation_get_the_tag_once_per_run() -> None:
    out = _translate(
        'a <a href="/x?a=1&amp;b=2">big dog</a> runs', "un chien court , grand", [(0, 0), (1, 4), (2, 1), (3, 2)]
    )
    assert out == 'un <a href="/x?a=1&amp;b=2">chien</a> court , <a href="/x?a=1&amp;b=2">grand</a>'
    assert runs([4, 1, 2, 7]) == [(1, 2), (4, 4), (7, 7)]


def test_unlinked_words_between_the_words_of_a_tag_join_it_and_words_of_other_tags_do_not() -> None:
    # "vieux" is linked to nothing: it joins <b>; "court" is linked to "runs", outside <i>, so <i> is split
    out = _translate("a <b>big dog</b> runs", "un grand vieux chien court", [(0, 0), (1, 1), (2, 3), (3, 4)])
    assert out == "un <b>grand vieux chien</b> court"
    assert tag_targets([1, 2], [(1, 1), (2, 3), (0, 2)]) == [1, 3]


def test_a_linked_word_whose_attention_lies_mostly_outside_the_tag_is_left_out() -> None:
    links = [(0, 0), (0, 1), (1, 2)]  # "old" linked to "le" and "vieil"
    rows = [WordRow(0, (0.3, 0.7)), WordRow(0, (0.9, 0.1)), WordRow(0, (0.1, 0.9))]  # "le" attends to "man"
    assert _translate("<b>old</b> man", "le vieil homme", links) == "<b>le vieil</b> homme"
    assert _translate("<b>old</b> man", "le vieil homme", links, rows) == "le <b>vieil</b> homme"
    weak = [WordRow(0, (0.3, 0.7)), WordRow(0, (0.4, 0.6)), WordRow(0, (0.1, 0.9))]  # none is mostly "old"'s
    assert _translate("<b>old</b> man", "le vieil homme", links, weak) == "<b>le vieil</b> homme"


def test_a_row_shares_its_weight_by_text_wide_source_word() -> None:
    row = WordRow(first=2, weights=(1.0, 3.0))  # source words 2 and 3 of the text
    assert row.share({3}) == 0.75 and row.share({0, 1}) == 0.0 and row.share({2, 3}) == 1.0
    assert WordRow(0, (0.0, 0.0)).share({0}) == 0.0


def test_empty_elements_and_line_breaks_stay_with_their_words() -> None:
    out = _translate('one <img src="p.png"> two.<br>three', "un deux.\ntrois", [(0, 0), (1, 1), (2, 2)])
    assert out == 'un<img src="p.png"> deux.<br>trois'  # a <br> after a sentence's end: a line break


def test_a_line_break_inside_a_sentence_keeps_the_sentence_whole_and_follows_its_word() -> None:
    marked = extract_html("the <b>red</b><br>car drives")
    assert marked.text == "the red car drives" and not marked.breaks  # one sentence: translated whole
    out = _translate("the <b>red</b><br>car drives", "la voiture rouge roule", [(0, 0), (1, 2), (2, 1), (3, 3)])
    assert out == "la voiture <b>rouge</b><br> roule"  # after the translation of "red", the word before it
    assert extract("a<br>b", "html", TagOptions(splitting_tags=("br",))).text == "a\nb"
    assert extract("a.<br>b", "html", TagOptions(non_splitting_tags=("br",))).text == "a. b"
    assert extract_html("<br>a").text == "\na" and extract_html('a!")<br>b').text == 'a!")\nb'


def test_a_tag_whose_words_have_no_counterpart_is_kept_empty() -> None:
    out = _translate("a <i>very</i> big dog", "un gros chien", [(0, 0), (2, 1), (3, 2)])
    assert out == "un<i></i> gros chien"


def test_crossing_tags_are_closed_and_reopened_so_the_output_is_well_formed() -> None:
    # <b> covers words 0-1, <i> covers 1-2; the translation reverses them, so their spans cross
    out = _translate("<b>one <i>two</i></b><i> three</i>", "trois deux un", [(0, 2), (1, 1), (2, 0)])
    assert _reparsed(out) == out
    assert re.sub(r"<[^>]+>", "", out) == "trois deux un"


def test_sibling_tags_whose_translations_overlap_are_reopened() -> None:
    out = _translate("<b>one</b> <i>two</i>", "x y z", [(0, 0), (0, 1), (1, 1), (1, 2)])
    assert out == "<b>x <i>y</i></b><i> z</i>"
    assert _reparsed(out) == out


def test_block_elements_split_lines_and_wrap_their_whole_translation() -> None:
    marked = extract_html("<p>one two</p><ul><li>three</li><li>four</li></ul>tail")
    assert marked.text == "one two\nthree\nfour\ntail"
    out = _translate("<p>one two</p><ul><li>three</li><li>four</li></ul>tail", "un deux\ntrois\nquatre\nqueue",
                     [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4)])  # fmt: skip
    assert out == "<p>un deux</p><ul><li>trois</li><li>quatre</li></ul>queue"
    assert extract_html("<p>a</p><p>b</p>", non_splitting_tags=["p"]).text == "ab"


def test_untranslated_elements_are_kept_whole_where_they_stood() -> None:
    fragment = 'run <code>ls -l</code> now <span translate="no">Acme</span> ok <script>x=1</script>'
    marked = extract_html(fragment)
    assert marked.text == "run  now  ok "
    out = _translate(fragment, "lance maintenant ok", [(0, 0), (1, 1), (2, 2)])
    assert out == 'lance<code>ls -l</code> maintenant<span translate="no">Acme</span> ok<script>x=1</script>'
    assert extract_html("a <b>b</b>", ignore_tags=["b"]).text == "a "


def test_text_is_escaped_and_malformed_input_is_read_as_the_parser_repairs_it() -> None:
    assert _translate("a &lt; b &amp; c", "a < b & c", [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4)]) == "a &lt; b &amp; c"
    marked = extract_html("<b>one <i>two</b> three")
    assert marked.text == "one two three" and {t.open for t in marked.inline} == {"<b>", "<i>"}


def test_comments_are_kept_untranslated_where_they_stood() -> None:
    out = _translate("one <!-- keep me --> two", "un deux", [(0, 0), (1, 1)])
    assert out == "un<!-- keep me --> deux"


@pytest.mark.parametrize("seed", range(40))
def test_any_placement_is_well_formed_keeps_every_tag_and_never_cuts_a_word(seed: int) -> None:
    rng = random.Random(seed)
    source = [f"w{k}" for k in range(rng.randint(3, 9))]
    target = [f"t{k}" for k in range(rng.randint(2, 9))]
    fragment, open_tags = "", []
    for k, word in enumerate(source):  # random nested tags over random word spans
        if rng.random() < 0.4:
            name = rng.choice(["b", "i", "span", "em"])
            fragment += f'<{name} id="{k}">'
            open_tags.append(name)
        fragment += word + " "
        if open_tags and rng.random() < 0.5:
            fragment += f"</{open_tags.pop()}>"
    fragment += "".join(f"</{name}>" for name in reversed(open_tags))
    links = [(i, j) for i in range(len(source)) for j in range(len(target)) if rng.random() < 0.25]
    out = _translate(fragment, " ".join(target), links)
    assert _reparsed(out) == out
    assert re.sub(r"<[^>]+>", "", out) == " ".join(target)
    assert set(re.findall(r'id="(\d+)"', fragment)) <= set(re.findall(r'id="(\d+)"', out))
    for boundary in re.finditer(r"<[^>]+>", out):
        before, after = out[: boundary.start()], out[boundary.end() :]
        assert not (re.search(r"t\d*$", before) and re.match(r"\d", after))  # never inside a word
