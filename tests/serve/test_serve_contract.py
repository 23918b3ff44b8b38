"""Real answers of a running server (gunicorn, two workers) checked against the OpenAPI document the same
server publishes: every status is declared for its path and method, and every JSON body validates against
the declared response schema. The response schemas are kept apart from the request schemas
(``serve/openapi_schemas.py``), so this is what keeps the two in step with the code."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator
from serve_testlib import http_exchange

TEXT = "Ein Mann fährt Fahrrad. Zwei Hunde spielen im Schnee."
CASES = [
    ("POST", "/v1/translate", {"text": TEXT}, 200),
    ("POST", "/v1/translate", {"texts": [TEXT, ""], "n_best": 2, "beam_size": 2, "word_alignment": True}, 200),
    ("POST", "/v1/translate", {"text": "Ein Hund.", "link_rule": "mutual", "split": False, "alignment": False}, 200),
    ("POST", "/v1/translate", {"text": "Ein <b>Hund</b>.<br>Zwei.", "format": "html"}, 200),
    ("POST", "/v1/translate", {"text": "Ein Hund.", "glossary": [{"source": "Hund", "target": "dog"}]}, 200),
    ("POST", "/v1/align", {"source": "Ein Hund .", "target": "A dog ."}, 200),
    ("POST", "/v1/align", {"source": "Ein Hund .", "target": "A dog .", "rule": "threshold", "shift": True}, 200),
    ("GET", "/v1/languages", None, 200),
    ("GET", "/v1/health", None, 200),
    ("GET", "/v1/model", None, 200),
    ("POST", "/v1/translate", {"text": 5}, 400),
    ("POST", "/v1/translate", {"text": "a", "source": "it"}, 400),
    ("POST", "/v1/translate", {"text": "a", "n_best": 4, "beam_size": 2}, 200),
    ("POST", "/v1/align", {"source": "", "target": "A dog ."}, 400),
    ("POST", "/v1/translate", "x" * 9000, 413),
    ("GET", "/v1/model?source=xx", None, 400),
]


def _inline(node: Any, schemas: dict[str, Any]) -> Any:
    """``node`` with every ``$ref`` to ``#/components/schemas/X`` replaced by X (the document has no cycles),
    and every object with declared properties closed to others: a field the server sends must be declared."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(schemas[node["$ref"].rsplit("/", 1)[1]], schemas)
        closed = {"additionalProperties": False} if "properties" in node else {}
        return {**closed, **{key: _inline(value, schemas) for key, value in node.items()}}
    if isinstance(node, list):
        return [_inline(item, schemas) for item in node]
    return node


@pytest.fixture(scope="module")
def document(live_server: int) -> dict[str, Any]:
    status, _, body = http_exchange(live_server, "GET", "/v1/openapi.json")
    assert status == 200
    return json.loads(body)


@pytest.mark.parametrize(("method", "path", "body", "status"), CASES, ids=[f"{c[1]}-{c[3]}" for c in CASES])
def test_answers_match_the_published_document(live_server: int, document, method, path, body, status) -> None:  # noqa: ANN001
    data = None if body is None else (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
    got, headers, answer = http_exchange(live_server, method, path, data)
    assert got == status, answer[:300]
    declared = document["paths"][path.split("?")[0]][method.lower()]["responses"]
    assert str(got) in declared, f"{method} {path} answered {got}, which the document does not declare"
    content = declared[str(got)]["content"]
    assert headers["content-type"].split(";")[0] in content
    schema = _inline(content["application/json"]["schema"], document["components"]["schemas"])
    errors = [e.message for e in OAS30Validator(schema).iter_errors(json.loads(answer))]
    assert not errors, errors[:3]
