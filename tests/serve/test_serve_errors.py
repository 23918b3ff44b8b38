"""Hostile and malformed input: every case is a 4xx with a JSON error that names the problem, and the
app keeps answering normal requests afterwards."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder

from serve.app import create_app, service_of
from serve.settings import Settings
from translator.translate import Translator

JSON_HEADERS = {"Content-Type": "application/json"}
GOOD = {"text": "Ein Hund."}


def _post(client: FlaskClient, body: bytes | str, path: str = "/v1/translate", **headers: str):  # noqa: ANN202
    return client.post(path, data=body, headers={**JSON_HEADERS, **headers})


def _assert_error(response, status: int, *words: str) -> None:  # noqa: ANN001
    assert response.status_code == status, response.data[:300]
    assert response.mimetype == "application/json"
    message = response.get_json()["error"]
    assert isinstance(message, str) and message
    assert "Traceback" not in message
    for word in words:
        assert word.lower() in message.lower(), message


BAD_BODIES = [
    (b"{not json", "invalid JSON"),
    (b"", "empty"),
    (b"[1, 2]", "must be an object"),
    (b'"text"', "must be an object"),
    (b'{"text": NaN}', "NaN"),
    (b"{}", "exactly one of"),
    (b'{"text": "a", "texts": ["b"]}', "exactly one of"),
    (b'{"text": 5}', "'text' must be a string"),
    (b'{"text": null}', "'text' must be a string"),
    (b'{"texts": "a"}', "'texts' must be an array"),
    (b'{"texts": []}', "empty"),
    (b'{"texts": ["a", 3]}', "texts[1]"),
    (b'{"text": "a", "beam_size": 0}', "between 1 and 8"),
    (b'{"text": "a", "beam_size": 9}', "between 1 and 8"),
    (b'{"text": "a", "beam_size": -1}', "between 1 and 8"),
    (b'{"text": "a", "beam_size": "5"}', "must be an integer"),
    (b'{"text": "a", "beam_size": true}', "must be an integer"),
    (b'{"text": "a", "beam_size": 2.5}', "must be an integer"),
    (b'{"text": "a", "beam_size": 5.0}', "must be an integer"),
    (b'{"text": "a", "beam_size": 1e308}', "must be an integer, not a number"),
    (b'{"text": "a", "alignment": "yes"}', "true or false"),
    (b'{"text": "a", "n_best": 9}', "between 1 and 8"),
    (b'{"text": "a", "n_best": 3, "beam_size": 2}', "between 1 and the beam size"),
    (b'{"text": "a", "n_best": 4}', "beam size is 3"),
    (b'{"text": "a", "source": "it"}', "no model for it->*"),
    (b'{"text": "a", "source": "xx"}', "not a BCP 47 language code"),
    (b'{"text": "a", "source": "de", "target": "fr"}', "this server translates de->en"),
    (b'{"text": "a", "source": "d e"}', "'source'"),
    (b'{"text": "a", "split": "yes"}', "'split' must be true or false"),
    (b'{"text": "a", "n_best": 0}', "n_best"),
    (b'{"text": "a", "colour": 1}', "unknown field"),
    (b'{"text": "a\\u0000b"}', "control character U+0000"),
    (b'{"text": "a\\u001bb"}', "control character U+001B"),
    (b'{"text": "a\\u007f"}', "control character U+007F"),
    (b'{"text": "a\\ud800"}', "surrogate"),
    (b'{"text": "\xff\xfe"}', "UTF-8"),
    (b'{"text": "caf\xe9"}', "UTF-8"),
    (b"[" * 2000 + b"]" * 2000, "invalid JSON"),
]


@pytest.mark.parametrize(("body", "words"), BAD_BODIES, ids=[w for _, w in BAD_BODIES])
def test_bad_bodies_are_400(client: FlaskClient, body: bytes, words: str) -> None:
    _assert_error(_post(client, body), 400, words)
    assert _post(client, json.dumps(GOOD)).status_code == 200


def test_chunked_body_over_the_limit_is_413(client: FlaskClient) -> None:
    """Without Content-Length (chunked upload) Werkzeug only truncates; the app must still say 413."""
    body = io.BytesIO(json.dumps({"text": "a" * 5000}).encode())
    env = EnvironBuilder(path="/v1/translate", method="POST", headers=JSON_HEADERS, input_stream=body).get_environ()
    env.pop("CONTENT_LENGTH", None)
    env["wsgi.input_terminated"] = True
    _assert_error(client.open(env), 413, "4096 bytes")


def test_limits(client: FlaskClient, settings: Settings) -> None:
    too_long = "a" * (settings.max_text_chars + 1)
    _assert_error(_post(client, json.dumps({"text": too_long})), 400, "limit is 200")
    _assert_error(_post(client, json.dumps({"texts": ["a"] * (settings.max_texts + 1)})), 400, "limit is 8")
    big = json.dumps({"text": "a" * 5000})
    _assert_error(_post(client, big), 413, "4096 bytes")
    assert _post(client, json.dumps({"text": "a" * settings.max_text_chars})).status_code == 200
    assert _post(client, json.dumps({"texts": ["Hund."] * settings.max_texts})).status_code == 200


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_wrong_content_type_is_415(client: FlaskClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/v1/translate", data=json.dumps(GOOD), headers=headers)
    _assert_error(response, 415, "application/json")


def test_charset_parameter_is_accepted(client: FlaskClient) -> None:
    response = _post(client, json.dumps(GOOD), **{"Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 200


def test_unknown_paths_and_methods(client: FlaskClient) -> None:
    _assert_error(client.get("/v2/translate"), 404, "no such path")
    _assert_error(client.get("/static/missing.js"), 404, "no such path")
    _assert_error(client.get("/v1/translate"), 405, "GET", "POST")
    _assert_error(client.delete("/v1/model"), 405, "not allowed")
    _assert_error(client.put("/v1/heatmap", json=GOOD), 405, "not allowed")
    _assert_error(client.open("/v1/translate", method="BREW"), 405, "not allowed")


def test_heatmap_errors(client: FlaskClient) -> None:
    _assert_error(client.get("/v1/heatmap"), 400, "'text' is required")
    _assert_error(client.get("/v1/heatmap", query_string={"text": " "}), 400, "empty")
    _assert_error(client.get("/v1/heatmap", query_string={"text": "a", "beam_size": "x"}), 400, "integer")
    _assert_error(client.get("/v1/heatmap", query_string={"text": "a", "level": "char"}), 400, "'level'")
    _assert_error(client.get("/v1/heatmap", query_string={"text": "a", "beam_size": "99"}), 400, "between")
    _assert_error(_post(client, b"{", "/v1/heatmap"), 400, "invalid JSON")
    _assert_error(client.get("/v1/heatmap?text=a%ffb"), 400, "not valid UTF-8")
    _assert_error(client.get("/v1/heatmap?text=a&text=b"), 400, "more than once")
    assert client.get("/v1/heatmap?text=f%C3%A4hrt+schnell").status_code == 200


def test_a_byte_order_mark_before_the_json_is_accepted(client: FlaskClient) -> None:
    response = _post(client, b"\xef\xbb\xbf" + json.dumps(GOOD).encode())
    assert response.status_code == 200, response.data


def test_heatmap_size_limit(translator: Translator, settings: Settings) -> None:
    app = create_app(translator, dataclasses.replace(settings, max_heatmap_tokens=3))
    try:
        response = app.test_client().get("/v1/heatmap", query_string={"text": "Ein Mann fährt Fahrrad."})
        _assert_error(response, 400, "at most 3")
    finally:
        service_of(app).close()


def test_no_tracebacks_on_internal_errors(client: FlaskClient, app, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    service = service_of(app)

    def explode(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(service, "summary", explode)
    response = client.post("/v1/translate", json=GOOD)
    _assert_error(response, 500, "internal server error")
    assert b"secret" not in response.data
    monkeypatch.undo()
    assert client.post("/v1/translate", json=GOOD).status_code == 200
