"""POST /v1/align: the forced alignment of a given pair, as the library computes it, and its errors."""

from __future__ import annotations

import json

import pytest
from api_testlib import assert_error, post_raw
from flask.testing import FlaskClient

from translator.alignment.aligner import AlignMethod, links_of
from translator.alignment.forced import force_align
from translator.translate import Translator

PAIR = {"source": "Zwei Hunde spielen im Schnee .", "target": "Two dogs play in the snow ."}


@pytest.mark.parametrize(
    "options", [{}, {"rule": "threshold", "threshold": 0.2}, {"shift": True}, {"rule": "threshold", "threshold": 1}]
)
def test_align_answers_what_the_library_computes(client: FlaskClient, translator: Translator, options: dict) -> None:
    response = client.post("/v1/align", json={**PAIR, **options})
    assert response.status_code == 200, response.data
    body = response.get_json()
    package = translator.package
    forced = force_align(package.model, package.tokenizer, [(PAIR["source"], PAIR["target"])])[0]
    rule, threshold, shift = options.get("rule", "argmax"), options.get("threshold", 0.5), options.get("shift", False)
    method = AlignMethod(rule, float(threshold), shift)
    assert body["source_words"] == PAIR["source"].split() and body["target_words"] == PAIR["target"].split()
    assert body["target_pieces"] == forced.target.pieces and body["method"] == method.name
    assert [tuple(link) for link in body["links"]] == sorted(links_of(forced, method))
    assert len(body["piece_alignment"]) == len(forced.target.pieces)
    for row, expected in zip(body["word_alignment"], forced.word_matrix(method.shift), strict=True):
        assert row == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"source": "Ein Hund ."}, "'target' is required"),
        ({"source": "Ein Hund .", "target": "  "}, "'target' is empty"),
        ({**PAIR, "rule": "max"}, "'rule' must be one of"),
        ({**PAIR, "threshold": 0}, "above 0"),
        ({**PAIR, "threshold": 1.5}, "at most 1"),
        ({**PAIR, "threshold": "0.3"}, "must be a number"),
        ({**PAIR, "threshold": True}, "must be a number"),
        ({**PAIR, "shift": "yes"}, "true or false"),
        ({**PAIR, "beam_size": 3}, "unknown field"),
        ({"source": "a" * 201, "target": "b"}, "limit is 200"),
        ({"source": "a\u0007", "target": "b"}, "control character U+0007"),
    ],
)
def test_align_errors(client: FlaskClient, body: dict, words: str) -> None:
    assert_error(client.post("/v1/align", json=body), 400, words)


def test_align_request_rules_are_the_translate_ones(client: FlaskClient) -> None:
    assert_error(post_raw(client, b"{bad", "/v1/align"), 400, "invalid JSON")
    assert_error(client.post("/v1/align", data=json.dumps(PAIR), headers={"Content-Type": "text/plain"}), 415)
    assert_error(post_raw(client, json.dumps({**PAIR, "source": "x" * 5000}), "/v1/align"), 413, "4096 bytes")
    assert_error(client.get("/v1/align"), 405, "POST")
