"""The orjson response encoder: the same JSON values as Flask's standard encoder, and the app uses it."""

from __future__ import annotations

import datetime as dt
import json

from flask import Flask, jsonify
from flask.json.provider import DefaultJSONProvider

from serve.json_provider import FastJSONProvider

SAMPLE = {
    "translation": "Une femme âgée lit « Le Monde ».",
    "alignment": [[1e-05, 0.999990], [1.4886189768307537e-39, 2.4025629080691986e-25]],
    "score": -14.643945693969727,
    "nested": {"z": 1, "a": [True, None, "ß"]},
}


def _app(provider: type[DefaultJSONProvider], debug: bool = False) -> Flask:
    app = Flask(__name__)
    app.json = provider(app)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.debug = debug
    return app


def _body(app: Flask, *args: object, **kwargs: object) -> bytes:
    with app.app_context():
        response = jsonify(*args, **kwargs)
        assert response.mimetype == "application/json"
        return response.get_data()


def test_same_values_and_key_order_as_the_standard_encoder() -> None:
    fast, standard = _body(_app(FastJSONProvider), SAMPLE), _body(_app(DefaultJSONProvider), SAMPLE)
    assert fast != standard  # two encoders really ran (floats are spelt differently) ...
    pairs = json.loads(fast, object_pairs_hook=list)
    assert pairs == json.loads(standard, object_pairs_hook=list)  # ... to the same values, in the same order
    assert json.loads(fast) == SAMPLE
    assert fast.endswith(b"\n") and b"\n" not in fast[:-1]  # compact, one line, like Flask's


def test_text_is_utf8_not_escaped() -> None:
    body = _body(_app(FastJSONProvider), text="âgée « ß »")
    assert "âgée « ß »".encode() in body
    assert b"\\u" not in body


def test_keyword_arguments_dates_and_integer_keys_as_flask_writes_them() -> None:
    when = dt.datetime(2026, 12, 2, 15, 30, tzinfo=dt.timezone.utc)
    args = {"when": when, "counts": {1: "one"}}
    assert json.loads(_body(_app(FastJSONProvider), **args)) == json.loads(_body(_app(DefaultJSONProvider), **args))
    assert json.loads(_body(_app(FastJSONProvider), **args))["when"] == "Wed, 02 Dec 2026 15:30:00 GMT"


def test_non_finite_floats_become_null_not_invalid_json() -> None:
    body = _body(_app(FastJSONProvider), score=float("nan"), low=float("-inf"))
    assert json.loads(body, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name))) == {
        "score": None,
        "low": None,
    }


def test_debug_mode_indents() -> None:
    body = _body(_app(FastJSONProvider, debug=True), SAMPLE)
    assert body.count(b"\n") > 5 and json.loads(body) == SAMPLE


def test_ensure_ascii_falls_back_to_flask() -> None:
    app = _app(FastJSONProvider)
    app.json.ensure_ascii = True  # type: ignore[attr-defined]
    assert b"\\u00e2" in _body(app, text="â")


def test_the_app_answers_through_it(app: Flask, client) -> None:
    assert isinstance(app.json, FastJSONProvider)
    answer = client.post("/v1/translate", json={"text": "hallo welt"})
    assert answer.status_code == 200
    assert answer.get_data().endswith(b"\n")
    assert answer.get_json()["translations"][0]["source_tokens"]
