"""The page in headless Chromium (Debian's package, driven by Playwright), against a server with two language
pairs: pick a pair, type a paragraph, get the translation with its words linked on hover, and per sentence the
alternatives and a heatmap with one row per target piece, with a hover tooltip."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_testlib import http_request

from translator.heatmap import piece_label

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SENTENCE = "Zwei Hunde spielen im Schnee."

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


@pytest.fixture()
def page(pairs_live_server: int) -> Iterator:  # noqa: ANN201 - a playwright Page
    """A fresh page on the live server; the browser is closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            context.route("**/*", _loopback_only)
            yield context.new_page()
        finally:
            browser.close()


def _loopback_only(route) -> None:  # noqa: ANN001 - a playwright Route
    """Refuse every request that is not to 127.0.0.1 (the page must need nothing else)."""
    if route.request.url.startswith("http://127.0.0.1:"):
        route.continue_()
    else:
        route.abort()


PARAGRAPH = "Zwei Hunde spielen im Schnee. Ein Mann fährt Fahrrad.\nKinder spielen."


def _wait_pairs(page, count: int) -> None:  # noqa: ANN001
    """Until the pair selector has ``count`` options (a selector wait: the page's CSP forbids evaluated strings,
    which a polled ``wait_for_function`` would need)."""
    page.locator("#pair option").nth(count - 1).wait_for(state="attached")
    assert page.locator("#pair option").count() == count


def _expected(port: int, body: dict) -> dict:
    status, _, data = http_request(port, "POST", "/v1/translate", json.dumps(body).encode())
    assert status == 200, data
    return json.loads(data)["translations"][0]


def test_page_translates_a_paragraph_with_two_pairs(page, pairs_live_server: int, tmp_path: Path) -> None:  # noqa: ANN001
    """Two language pairs in the selector; a three-sentence paragraph: the translation keeps its line break,
    every sentence gets its alternatives and a heatmap with one row per target piece, words link on hover."""
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("pageerror", lambda error: failed.append(str(error)))
    page.goto(f"http://127.0.0.1:{pairs_live_server}/")
    _wait_pairs(page, 2)
    assert page.locator("#pair option").all_text_contents() == ["de → en (test)", "en → fr (test-en-fr)"]
    page.fill("#source", PARAGRAPH)
    page.select_option("#beam", "3")
    page.select_option("#nbest", "3")
    page.click("#translate")
    page.wait_for_selector("#result:not([hidden])", timeout=20_000)

    body = {"text": PARAGRAPH, "beam_size": 3, "n_best": 3, "source": "de", "target": "en", "link_rule": "mutual"}
    expected = _expected(pairs_live_server, body)
    assert page.text_content("#translation") == expected["translation"] and "\n" in expected["translation"]
    assert page.text_content("#src-text") == PARAGRAPH
    sections = page.locator("#sentences .sentence")
    assert sections.count() == len(expected["sentences"]) == 3
    for i, sentence in enumerate(expected["sentences"]):
        section = sections.nth(i)
        assert section.locator("tr.hm-row").count() == len(sentence["target_tokens"])
        assert section.locator("tr.hm-row").first.locator("td.cell").count() == len(sentence["source_tokens"])
        shown = section.locator(".alternatives li").all_text_contents()
        assert [text.split(" score ")[0] for text in shown] == [a["translation"] for a in sentence["n_best"]]
    _check_tooltip(page, expected["sentences"][0])
    _check_word_links(page, expected["sentences"])
    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)

    page.select_option("#pair", "1")  # the other pair
    page.fill("#source", "Two dogs play.")
    page.select_option("#nbest", "1")
    page.click("#translate")  # disables the button until the answer is drawn
    page.wait_for_selector("#translate:not([disabled])")
    other = _expected(pairs_live_server, {"text": "Two dogs play.", "beam_size": 3, "source": "en", "target": "fr"})
    assert page.text_content("#translation") == (other["translation"] or "(empty translation)")
    assert failed == []


def _check_tooltip(page, sentence: dict) -> None:  # noqa: ANN001
    cell = page.locator("#sentences .sentence").first.locator("td.cell").first
    cell.hover()
    tooltip = page.locator("#tooltip")
    tooltip.wait_for(state="visible")
    weight = f"{sentence['alignment'][0][0]:.3f}"
    source, target = (piece_label(sentence[key][0]) for key in ("source_tokens", "target_tokens"))
    assert tooltip.text_content() == f"{source} → {target}: {weight}"
    labels = page.eval_on_selector_all(".heatmap th", "els => els.map(e => e.textContent).join('')")
    assert "\u2581" not in labels + tooltip.text_content()  # no raw SentencePiece markers


def _indices(page, selector: str) -> list[int]:  # noqa: ANN001
    return sorted(int(i) for i in page.eval_on_selector_all(selector, "els => els.map(e => e.dataset.index)"))


def _word(side: str, sentence: int, index: int) -> str:
    return f'#links .word[data-side="{side}"][data-sentence="{sentence}"][data-index="{index}"]'


def _check_word_links(page, sentences: list[dict]) -> None:  # noqa: ANN001
    """Every word is drawn where its offsets say; hovering a target word lights up its linked source word(s)
    of the same sentence, hovering a source word its target words; a click pins the highlight."""
    for s, sentence in enumerate(sentences):
        for side in ("source", "target"):
            words = [w["text"] for w in sentence[f"{side}_words"]]
            assert [page.text_content(_word(side, s, i)) for i in range(len(words))] == words
        links = [tuple(link) for link in sentence["word_links"]]
        for j in range(len(sentence["target_words"])):
            page.hover(_word("target", s, j))
            linked = f'#links .word.linked[data-side="source"][data-sentence="{s}"]'
            assert _indices(page, linked) == sorted(a for a, t in links if t == j)
            assert page.locator(f'#links .word.linked:not([data-sentence="{s}"])').count() == 0
    links = [tuple(link) for link in sentences[1]["word_links"]]
    source = links[0][0]
    page.click(_word("source", 1, source))
    page.hover("h1")  # away from the words: the pinned source word keeps its highlight
    assert _indices(page, '#links .word.linked[data-side="target"]') == sorted(t for a, t in links if a == source)
    assert _indices(page, "#links .word.pinned") == [source]


def test_a_long_translation_stays_in_its_box_at_390_px(page, pairs_live_server: int) -> None:  # noqa: ANN001
    """A phone-width window: a long unbroken translation wraps inside its box; nothing scrolls sideways."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"http://127.0.0.1:{pairs_live_server}/")
    _wait_pairs(page, 2)
    long_word = "Donaudampfschifffahrtsgesellschaftskapitän" * 6
    translation = f"A {long_word} and a very long sentence " * 3
    sentence = {
        "translation": translation,
        "score": -1.5,
        "confidence": 0.5,
        "source_tokens": ["\u2581Ein", "\u2581Mann"],
        "target_tokens": ["\u2581A", "\u2581ma", "n"],
        "alignment": [[0.9, 0.1], [0.2, 0.8], [0.1, 0.9]],
        "source_words": [{"text": "Ein", "start": 0, "end": 3}, {"text": "Mann", "start": 4, "end": 8}],
        "target_words": [
            {"text": "A", "start": 0, "end": 1},
            {"text": long_word, "start": 2, "end": 2 + len(long_word)},
        ],
        "word_links": [[0, 0]],
    }
    item = {"translation": translation, "score": -1.5, "confidence": 0.5, "sentences": [sentence]}
    page.evaluate("item => showResult(item, 12, 'Ein Mann')", item)
    box = page.locator("#translation").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.eval_on_selector("#translation", "e => e.scrollWidth <= e.clientWidth")
    labels = page.eval_on_selector_all(".heatmap th.tgt", "els => els.map(e => e.textContent)")
    assert labels == ["A", "ma", "\u00b7n"]


def test_the_format_switch_sends_html_and_shows_the_tagged_translation_as_text(page, pairs_live_server: int) -> None:  # noqa: ANN001
    """Format HTML: the words (linked on hover) are the texts without tags, and the translation with its tags
    is shown as text below them, never as elements of the page."""
    page.goto(f"http://127.0.0.1:{pairs_live_server}/")
    _wait_pairs(page, 2)
    fragment = '<b id="hit">Zwei Hunde</b> spielen im <i>Schnee</i>.'
    page.fill("#source", fragment)
    page.select_option("#format", "html")
    page.click("#translate")
    page.wait_for_selector("#markup-box:not([hidden])", timeout=20_000)
    body = {"text": fragment, "format": "html", "source": "de", "target": "en", "link_rule": "mutual"}
    expected = _expected(pairs_live_server, body)
    assert page.text_content("#markup") == expected["translation"] and '<b id="hit">' in expected["translation"]
    assert page.text_content("#src-text") == expected["plain_source"] == "Zwei Hunde spielen im Schnee."
    assert page.text_content("#translation") == expected["plain_translation"]
    assert page.locator("#hit").count() == 0  # shown as text, not injected into the page
    page.select_option("#format", "text")
    page.fill("#source", SENTENCE)
    page.click("#translate")
    page.wait_for_selector("#markup-box[hidden]", state="attached")
