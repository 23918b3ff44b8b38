"""Helpers of the API tests: raw JSON posts, the shape of every error answer, and bodies that must be refused
(each with a word its error names)."""

from __future__ import annotations

from flask.testing import FlaskClient

JSON_HEADERS = {"Content-Type": "application/json"}


def post_raw(client: FlaskClient, body: bytes | str, path: str = "/v1/translate", **headers: str):  # noqa: ANN202
    return client.post(path, data=body, headers={**JSON_HEADERS, **headers})


def assert_error(response, status: int, *words: str) -> None:  # noqa: ANN001
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
    (b'{"text": "a", "source": "it"}', "no model for it->*"),
    (b'{"text": "a", "source": "xx"}', "not a BCP 47 language code"),
    (b'{"text": "a", "source": "de", "target": "fr"}', "this server translates de->en"),
    (b'{"text": "a", "source": "d e"}', "'source' must match"),
    (b'{"text": "a", "format": "html", "ignore_tags": ["1b"]}', "'ignore_tags[0]' must match"),
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
