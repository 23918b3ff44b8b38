"""format: html on /v1/translate: the tags come back around the translation's words, well-formed, every tag
kept, and a text without tags translates exactly as it does as plain text."""

from __future__ import annotations

import re

import lxml.etree
import lxml.html
from flask.testing import FlaskClient

FRAGMENT = (
    'Ein <b>Mann</b> fährt <a href="/r?x=1&amp;y=2">Fahrrad</a>.<br>Zwei <i id="k">Hunde</i> <img src="p.png"> spielen.'
)


def _reparsed(output: str) -> str:
    root = lxml.html.fragment_fromstring(output, create_parent="div")
    return lxml.etree.tostring(root, method="html", encoding="unicode")[len("<div>") : -len("</div>")]


def test_tags_come_back_well_formed_around_the_translation(client: FlaskClient) -> None:
    answer = client.post("/v1/translate", json={"text": FRAGMENT, "format": "html"})
    assert answer.status_code == 200, answer.get_json()
    item = answer.get_json()["translations"][0]
    out = item["translation"]
    assert _reparsed(out) == out
    assert item["plain_source"] == "Ein Mann fährt Fahrrad.\nZwei Hunde  spielen."
    plain = re.sub(r"<br>", "\n", out)
    assert lxml.html.fragment_fromstring(plain, create_parent="div").text_content() == item["plain_translation"]
    for tag in ("<b>", '<a href="/r?x=1&amp;y=2">', '<i id="k">', '<img src="p.png">', "<br>"):
        assert tag in out
    offsets = [w["end"] for s in item["sentences"] for w in s["target_words"]]
    assert max(offsets) <= len(item["plain_translation"])  # offsets refer to the text without tags


def test_text_without_tags_translates_as_plain_text(client: FlaskClient) -> None:
    text = "Ein Mann fährt Fahrrad."
    plain = client.post("/v1/translate", json={"text": text}).get_json()["translations"][0]["translation"]
    marked = client.post("/v1/translate", json={"text": text, "format": "html"}).get_json()["translations"][0]
    assert marked["plain_translation"] == plain
    assert marked["translation"] == plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_an_unknown_format_is_refused(client: FlaskClient) -> None:
    answer = client.post("/v1/translate", json={"text": "a", "format": "xml"})
    assert answer.status_code == 400 and "format" in answer.get_json()["error"]


def test_blocks_and_ignored_tags_follow_the_request_options(client: FlaskClient) -> None:
    body = {"text": "<p>Ein Hund.</p><p>Ein <code>x</code> Mann.</p>", "format": "html"}
    item = client.post("/v1/translate", json=body).get_json()["translations"][0]
    assert item["plain_source"] == "Ein Hund.\nEin  Mann." and len(item["sentences"]) == 2
    assert item["translation"].startswith("<p>") and item["translation"].count("</p>") == 2
    assert "<code>x</code>" in item["translation"]
    options = {**body, "non_splitting_tags": ["P"], "ignore_tags": ["p"]}
    item = client.post("/v1/translate", json=options).get_json()["translations"][0]
    assert item["plain_source"] == "" and item["translation"] == body["text"].replace(
        "<code>x</code>", "<code>x</code>"
    )
