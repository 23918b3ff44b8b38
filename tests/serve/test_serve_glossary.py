"""Glossaries on /v1/translate: the required term replaces the words linked to the source term, the answer
says where, the translation without the glossary stays available, and bad glossaries are 400s."""

from __future__ import annotations

import lxml.etree
import lxml.html
import pytest
from api_testlib import assert_error
from flask.testing import FlaskClient

from serve.app import create_app, service_of
from serve.settings import Settings

TEXT = "Ein Hund läuft. Zwei Hunde spielen."


def test_the_term_is_put_in_and_reported(client: FlaskClient) -> None:
    plain = client.post("/v1/translate", json={"text": TEXT}).get_json()["translations"][0]["translation"]
    body = {"text": TEXT, "glossary": [{"source": "hund", "target": "Glossarterm"}]}
    item = client.post("/v1/translate", json=body).get_json()["translations"][0]
    assert item["plain_translation"] == plain
    (applied,) = item["glossary"]  # "Hunde" is another word: not matched
    assert applied["source"] == "hund" and TEXT[slice(*applied["source_span"])] == "Hund"
    assert item["translation"][slice(*applied["target_span"])] == "Glossarterm"
    assert item["translation"].count("Glossarterm") == 1


@pytest.mark.parametrize(
    ("glossary", "words"),
    [
        ([{"source": "Hund", "target": "dog"}, {"source": "hund", "target": "dog"}], ["duplicates"]),
        ([{"source": "Hund", "target": "dog"}, {"source": "HUND", "target": "hound"}], ["conflicts"]),
        ([{"source": " ", "target": "dog"}], ["source"]),
        ([{"source": "Hund"}], ["target", "required"]),
        ([{"source": "Hund", "target": "dog", "note": 1}], ["unknown field"]),
    ],
)
def test_bad_glossaries_are_400s_that_say_why(client: FlaskClient, glossary, words) -> None:  # noqa: ANN001
    assert_error(client.post("/v1/translate", json={"text": TEXT, "glossary": glossary}), 400, *words)


def test_a_glossary_over_the_limit_is_refused(translator) -> None:  # noqa: ANN001
    app = create_app(translator, Settings(max_glossary_entries=3))
    try:
        body = {"text": TEXT, "glossary": [{"source": f"w{k}", "target": "x"} for k in range(4)]}
        assert_error(app.test_client().post("/v1/translate", json=body), 400, "4 items", "limit is 3")
    finally:
        service_of(app).close()


def test_a_glossary_with_html_keeps_the_tags_well_formed(client: FlaskClient) -> None:
    body = {
        "text": "Ein <b>Hund</b> läuft.",
        "format": "html",
        "glossary": [{"source": "Hund", "target": "Glossarterm"}],
    }
    item = client.post("/v1/translate", json=body).get_json()["translations"][0]
    assert "Glossarterm" in item["translation"] and "<b>" in item["translation"] and "</b>" in item["translation"]
    root = lxml.html.fragment_fromstring(item["translation"], create_parent="div")
    out = lxml.etree.tostring(root, method="html", encoding="unicode")[len("<div>") : -len("</div>")]
    assert out == item["translation"]
    (applied,) = item["glossary"]
    assert root.text_content()[slice(*applied["target_span"])] == "Glossarterm"


def test_constrained_decoding_writes_the_term_into_the_translation(client: FlaskClient) -> None:
    """glossary_method constrain: the search itself produces the term (the tiny package's pieces spell any
    word), the answer says where it stands, and a sentence without terms is translated as without a glossary."""
    body = {"text": TEXT, "glossary": [{"source": "hund", "target": "dog"}], "glossary_method": "constrain"}
    item = client.post("/v1/translate", json=body).get_json()["translations"][0]
    (applied,) = item["glossary"]
    assert item["translation"] == item["plain_translation"]  # no edit after the search: the search wrote it
    assert item["translation"][slice(*applied["target_span"])] == "dog"
    plain = client.post("/v1/translate", json={"text": "Zwei Hunde spielen."}).get_json()["translations"][0]
    constrained_sentences = item["sentences"]
    assert constrained_sentences[1]["translation"] == plain["translation"]
    html = {**body, "text": "Ein <b>Hund</b> läuft.", "format": "html"}
    marked = client.post("/v1/translate", json=html).get_json()["translations"][0]
    assert "dog" in marked["plain_translation"] and marked["translation"].count("<b>") >= 1
    bad = client.post("/v1/translate", json={**body, "glossary_method": "force"})
    assert_error(bad, 400, "glossary_method")
