"""formats html and xml on /v1/translate: the tags come back around the translation's words, well-formed, every
tag kept, and a text without tags translates exactly as it does as plain text; malformed HTML is repaired,
malformed XML, entity bombs and tags nested too deep are refused with a 400 that names the problem."""

from __future__ import annotations

import re

import lxml.etree
import lxml.html
from flask.testing import FlaskClient

from serve.app import create_app, service_of
from serve.settings import Settings
from translator.markup import MAX_DEPTH
from translator.translate import Translator

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
    answer = client.post("/v1/translate", json={"text": "a", "format": "xliff"})
    assert answer.status_code == 400 and "format" in answer.get_json()["error"]


def test_xml_tags_and_placeholders_come_back_and_the_output_parses(client: FlaskClient) -> None:
    fragment = (
        '<seg>Ein <g id="1" n:k="v" xmlns:n="urn:n">Mann</g> f&#228;hrt<x id="2"/> &amp; lacht.</seg><seg>Ja.</seg>'
    )
    body = {"text": fragment, "format": "xml", "splitting_tags": ["seg"]}
    item = client.post("/v1/translate", json=body).get_json()["translations"][0]
    out = item["translation"]
    root = lxml.etree.fromstring(f"<r>{out}</r>")  # parses: well-formed XML
    assert [e.get("id") for e in root.iter("{*}g", "x")] == ["1", "2"] and len(root.findall("seg")) == 2
    assert '<g id="1" xmlns:n="urn:n" n:k="v">' in out or '<g xmlns:n="urn:n" id="1" n:k="v">' in out
    assert item["plain_source"] == "Ein Mann fährt & lacht.\nJa." and len(item["sentences"]) == 2


def test_malformed_html_is_repaired_and_malformed_xml_is_refused_by_name(client: FlaskClient) -> None:
    repaired = client.post("/v1/translate", json={"text": "<b>Ein <i>Mann</b> lacht", "format": "html"})
    assert repaired.status_code == 200
    assert _reparsed(repaired.get_json()["translations"][0]["translation"]).count("<b>") >= 1
    refused = client.post("/v1/translate", json={"text": "<b>Ein <i>Mann</b> lacht", "format": "xml"})
    assert refused.status_code == 400
    assert "the XML cannot be read" in refused.get_json()["error"] and "mismatch" in refused.get_json()["error"]


def test_entity_bombs_and_deep_nesting_are_refused(client: FlaskClient) -> None:
    bomb = '<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><r>&b;</r>'
    for text in (bomb, "<r>&b;</r>"):
        answer = client.post("/v1/translate", json={"text": text, "format": "xml"})
        assert answer.status_code == 400 and "XML cannot be read" in answer.get_json()["error"]


def test_tags_nested_a_thousand_deep_are_refused_under_limits_that_let_the_text_in(translator: Translator) -> None:
    app = create_app(translator, Settings(max_text_chars=8000, max_body_bytes=65536, max_wait_ms=2.0))
    try:
        deep = "<b>" * 1000 + "Mann" + "</b>" * 1000
        for fmt in ("html", "xml"):
            answer = app.test_client().post("/v1/translate", json={"text": deep, "format": fmt})
            assert answer.status_code == 400, fmt
            assert answer.get_json()["error"].endswith(f"tags are nested more than {MAX_DEPTH} deep"), fmt
    finally:
        service_of(app).close()


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


def test_line_breaks_and_blocks_stay_between_sentences_when_sentences_are_not_split(client: FlaskClient) -> None:
    body = {"text": "Ein <b>Mann</b> fährt.<br>Zwei Hunde.<p>Ein Kind. Es lacht.</p>", "format": "html", "split": False}
    item = client.post("/v1/translate", json=body).get_json()["translations"][0]
    out = item["translation"]
    assert len(item["sentences"]) == 3  # the lines, each one sentence: "Ein Kind. Es lacht." is not split
    assert _reparsed(out) == out and "<br>" in out and "<b>" in out and out.count("<p>") == 1
    assert out.index("<br>") < out.index("<p>") and item["plain_translation"].count("\n") == 2


def test_tags_follow_mutual_links_unless_the_request_names_a_rule(client: FlaskClient) -> None:
    body = {"text": FRAGMENT, "format": "html", "word_alignment": True}
    default = client.post("/v1/translate", json=body).get_json()["translations"][0]
    mutual = client.post("/v1/translate", json={**body, "link_rule": "mutual"}).get_json()["translations"][0]
    argmax = client.post("/v1/translate", json={**body, "link_rule": "argmax"}).get_json()["translations"][0]
    assert default == mutual
    assert [s["word_links"] for s in argmax["sentences"]] != [s["word_links"] for s in mutual["sentences"]]
    plain = client.post("/v1/translate", json={"text": "Ein Mann fährt Fahrrad.", "word_alignment": True})
    named = client.post("/v1/translate", json={"text": "Ein Mann fährt Fahrrad.", "word_alignment": True,
                                               "link_rule": "argmax"})  # fmt: skip
    assert plain.get_json()["translations"] == named.get_json()["translations"]  # plain text: argmax, as before
