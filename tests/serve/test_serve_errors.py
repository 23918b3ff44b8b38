"""Hostile and malformed input: every case is a 4xx with a JSON error that names the problem, and the
app keeps answering normal requests afterwards."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from api_testlib import BAD_BODIES, JSON_HEADERS, assert_error, post_raw
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder

from serve.app import create_app, service_of
from serve.settings import Settings
from translator.heatmap import crop_alignment
from translator.translate import Translator

GOOD = {"text": "Ein Hund."}


@pytest.mark.parametrize(("body", "words"), BAD_BODIES, ids=[w for _, w in BAD_BODIES])
def test_bad_bodies_are_400(client: FlaskClient, body: bytes, words: str) -> None:
    assert_error(post_raw(client, body), 400, words)
    assert post_raw(client, json.dumps(GOOD)).status_code == 200


def test_chunked_body_over_the_limit_is_413(client: FlaskClient) -> None:
    """Without Content-Length (chunked upload) Werkzeug only truncates; the app must still say 413."""
    body = io.BytesIO(json.dumps({"text": "a" * 5000}).encode())
    env = EnvironBuilder(path="/v1/translate", method="POST", headers=JSON_HEADERS, input_stream=body).get_environ()
    env.pop("CONTENT_LENGTH", None)
    env["wsgi.input_terminated"] = True
    assert_error(client.open(env), 413, "4096 bytes")


def test_limits(client: FlaskClient, settings: Settings) -> None:
    too_long = "a" * (settings.max_text_chars + 1)
    assert_error(post_raw(client, json.dumps({"text": too_long})), 400, "limit is 200")
    assert_error(post_raw(client, json.dumps({"texts": ["a"] * (settings.max_texts + 1)})), 400, "limit is 8")
    big = json.dumps({"text": "a" * 5000})
    assert_error(post_raw(client, big), 413, "4096 bytes")
    assert post_raw(client, json.dumps({"text": "a" * settings.max_text_chars})).status_code == 200
    assert post_raw(client, json.dumps({"texts": ["Hund."] * settings.max_texts})).status_code == 200


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_wrong_content_type_is_415(client: FlaskClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/v1/translate", data=json.dumps(GOOD), headers=headers)
    assert_error(response, 415, "application/json")


def test_charset_parameter_is_accepted(client: FlaskClient) -> None:
    response = post_raw(client, json.dumps(GOOD), **{"Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 200


def test_unknown_paths_and_methods(client: FlaskClient) -> None:
    assert_error(client.get("/v2/translate"), 404, "no such path")
    assert_error(client.get("/static/missing.js"), 404, "no such path")
    assert_error(client.get("/v1/translate"), 405, "GET", "POST")
    assert_error(client.delete("/v1/model"), 405, "not allowed")
    assert_error(client.put("/v1/heatmap", json=GOOD), 405, "not allowed")
    assert_error(client.open("/v1/translate", method="BREW"), 405, "not allowed")


def test_heatmap_errors(client: FlaskClient) -> None:
    assert_error(client.get("/v1/heatmap"), 400, "'text' is required")
    assert_error(client.get("/v1/heatmap", query_string={"text": " "}), 400, "empty")
    assert_error(client.get("/v1/heatmap", query_string={"text": "a", "beam_size": "x"}), 400, "integer")
    assert_error(client.get("/v1/heatmap", query_string={"text": "a", "level": "char"}), 400, "'level'")
    assert_error(client.get("/v1/heatmap", query_string={"text": "a", "beam_size": "99"}), 400, "between")
    assert_error(post_raw(client, b"{", "/v1/heatmap"), 400, "invalid JSON")
    assert_error(client.get("/v1/heatmap?text=a%ffb"), 400, "not valid UTF-8")
    assert_error(client.get("/v1/heatmap?text=a&text=b"), 400, "more than once")
    assert client.get("/v1/heatmap?text=f%C3%A4hrt+schnell").status_code == 200


def test_a_byte_order_mark_before_the_json_is_accepted(client: FlaskClient) -> None:
    response = post_raw(client, b"\xef\xbb\xbf" + json.dumps(GOOD).encode())
    assert response.status_code == 200, response.data


def test_a_heatmap_over_the_size_limit_draws_its_first_tokens(translator: Translator, settings: Settings) -> None:
    """Every sentence the document allows gets a PNG; past max_heatmap_tokens only the first ones are drawn."""
    app = create_app(translator, dataclasses.replace(settings, max_heatmap_tokens=3))
    try:
        response = app.test_client().get("/v1/heatmap", query_string={"text": "Ein Mann fährt Fahrrad."})
        assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
    finally:
        service_of(app).close()
    source, target, matrix, note = crop_alignment(list("abcde"), list("xy"), [[0.2] * 5, [0.2] * 5], 3)
    assert (source, target, matrix, note) == (list("abc"), list("xy"), [[0.2] * 3, [0.2] * 3], "first 2 x 3 of 2 x 5")
    assert crop_alignment(["a"], ["x"], [[1.0]], 3) == (["a"], ["x"], [[1.0]], "")


def test_no_tracebacks_on_internal_errors(client: FlaskClient, app, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    service = service_of(app)

    def explode(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(service, "summary", explode)
    response = client.post("/v1/translate", json=GOOD)
    assert_error(response, 500, "internal server error")
    assert b"secret" not in response.data
    monkeypatch.undo()
    assert client.post("/v1/translate", json=GOOD).status_code == 200
