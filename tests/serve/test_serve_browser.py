"""The page in headless Chromium (Debian's package, driven by Playwright): type a sentence, get the
translation and a heatmap with one row per target piece, with a hover tooltip."""

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
def page(live_server: int) -> Iterator:  # noqa: ANN201 - a playwright Page
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


def test_page_translates_and_draws_heatmap(page, live_server: int, tmp_path: Path) -> None:  # noqa: ANN001
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("pageerror", lambda error: failed.append(str(error)))
    page.goto(f"http://127.0.0.1:{live_server}/")
    page.wait_for_function("document.getElementById('model-info').textContent.includes('de')")
    page.fill("#source", SENTENCE)
    page.select_option("#beam", "1")
    page.click("#translate")
    page.wait_for_selector("#result:not([hidden])", timeout=20_000)

    body = json.dumps({"text": SENTENCE, "beam_size": 1, "word_alignment": True}).encode()
    expected = json.loads(http_request(live_server, "POST", "/v1/translate", body)[2])["translations"][0]
    shown = page.text_content("#translation")
    assert shown == (expected["translation"] or "(empty translation)")
    rows = page.locator("#heatmap tr.hm-row")
    assert rows.count() == len(expected["target_tokens"]) > 0
    assert page.locator("#heatmap tr.hm-row").first.locator("td.cell").count() == len(expected["source_tokens"])

    cell = page.locator("#heatmap td.cell").first
    cell.hover()
    tooltip = page.locator("#tooltip")
    tooltip.wait_for(state="visible")
    weight = f"{expected['alignment'][0][0]:.3f}"
    source, target = (piece_label(expected[key][0]) for key in ("source_tokens", "target_tokens"))
    assert tooltip.text_content() == f"{source} → {target}: {weight}"
    labels = page.eval_on_selector_all("#heatmap th", "els => els.map(e => e.textContent).join('')")
    assert "\u2581" not in labels + tooltip.text_content()  # no raw SentencePiece markers
    _check_word_links(page, expected["word_alignment"])
    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert failed == []


def _indices(page, selector: str) -> list[int]:  # noqa: ANN001
    return sorted(int(i) for i in page.eval_on_selector_all(selector, "els => els.map(e => e.dataset.index)"))


def _check_word_links(page, words: dict) -> None:  # noqa: ANN001
    """Hovering a target word lights up its linked source word(s), hovering a source word its target words;
    a click pins the highlight until the next click."""
    assert page.locator("#src-words .word").all_text_contents() == words["source_words"]
    assert page.locator("#tgt-words .word").all_text_contents() == words["target_words"]
    links = [tuple(link) for link in words["links"]]
    for j in range(len(words["target_words"])):
        page.hover(f'#tgt-words .word[data-index="{j}"]')
        assert _indices(page, "#src-words .word.linked") == sorted(s for s, t in links if t == j)
    source = links[0][0]
    page.click(f'#src-words .word[data-index="{source}"]')
    page.hover("h1")  # away from the words: the pinned source word keeps its highlight
    assert _indices(page, "#tgt-words .word.linked") == sorted(t for s, t in links if s == source)
    assert _indices(page, "#src-words .word.pinned") == [source]


def test_a_long_translation_stays_in_its_box_at_390_px(page, live_server: int) -> None:  # noqa: ANN001
    """A phone-width window: a long unbroken translation wraps inside its box; nothing scrolls sideways."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"http://127.0.0.1:{live_server}/")
    page.wait_for_function("document.getElementById('model-info').textContent.includes('de')")
    long_word = "Donaudampfschifffahrtsgesellschaftskapitän" * 6
    item = {
        "translation": f"A {long_word} and a very long sentence " * 3,
        "score": -1.5,
        "source_tokens": ["\u2581Ein", "\u2581Mann"],
        "target_tokens": ["\u2581A", "\u2581ma", "n"],
        "alignment": [[0.9, 0.1], [0.2, 0.8], [0.1, 0.9]],
        "word_alignment": {"source_words": ["Ein", "Mann"], "target_words": ["A", long_word], "links": [[0, 0]]},
    }
    page.evaluate("item => showResult(item, 12)", item)
    box = page.locator("#translation").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.eval_on_selector("#translation", "e => e.scrollWidth <= e.clientWidth")
    labels = page.eval_on_selector_all("#heatmap th.tgt", "els => els.map(e => e.textContent)")
    assert labels == ["A", "ma", "\u00b7n"]
