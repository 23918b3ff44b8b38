"""The OpenAPI 3.0 document served at ``GET /v1/openapi.json``. The request bodies and the heatmap's
query parameters are ``serve.schema``'s, the very schemas the validator enforces."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from serve.openapi_schemas import other_schemas, ref, translation_schemas
from serve.routing import Pair
from serve.schema import LANGUAGE, align_schema, heatmap_schema, translate_schema
from serve.settings import Settings
from translator.alignment.aligner import COMBINATIONS

SOURCE_FIELDS = ("source", "source_lang")  # where a LANGUAGE field names the source language

JSON = "application/json"


def _json_response(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref(schema)}}}


def _errors(*codes: int) -> dict[str, Any]:
    texts = {
        400: "Invalid request: bad JSON, invalid UTF-8, missing/wrong-typed/unknown fields, limits exceeded, "
        "an unknown language pair or none named where the server holds several",
        401: "An API key is required (X-API-Key or Authorization: Bearer) and none or an unknown one was sent",
        404: "Unknown path",
        405: "Method not allowed on this path",
        413: "Request body larger than the configured limit",
        414: "URL longer than the front server takes (send long texts with POST)",
        415: "Content-Type is not application/json",
        429: "Over the rate limit; Retry-After says when to try again",
        503: "Model not ready, queue full or timed out; retry later",
    }
    return {str(code): _json_response(texts[code], "Error") for code in codes}


def served_language(pairs: Sequence[Pair], field: str) -> dict[str, Any]:
    """The LANGUAGE schema narrowed to the codes this server serves on that side of its pairs (the server
    also reads other spellings of them, ``pt_br`` for ``pt-BR``; generated clients should send these)."""
    side = 0 if field in SOURCE_FIELDS else 1
    return {**LANGUAGE, "enum": [*sorted({pair[side] for pair in pairs}), None]}  # null: left out, as nullable says


def _narrowed(schema: dict[str, Any], pairs: Sequence[Pair], glossaries: Sequence[str] = ()) -> dict[str, Any]:
    """A request schema whose language fields list the served codes, and whose ``symmetrise`` (which needs
    a pair's reverse package) allows only null (and its one-direction value, where it has one) on a server that
    holds no pair in both directions."""
    properties = {
        name: served_language(pairs, name) if prop == LANGUAGE else prop for name, prop in schema["properties"].items()
    }
    if "symmetrise" in properties and not any((target, source) in pairs for source, target in pairs):
        one_way = [value for value in properties["symmetrise"]["enum"] if value not in COMBINATIONS]
        properties["symmetrise"] = {**properties["symmetrise"], "enum": one_way}
    if "glossary_id" in properties:  # the stored glossaries this server has
        properties["glossary_id"] = {**properties["glossary_id"], "enum": [*glossaries, None]}
    return {**schema, "properties": properties}


def _request_schemas(settings: Settings, pairs: Sequence[Pair], glossaries: Sequence[str]) -> dict[str, Any]:
    """Request bodies, with the configured limits, the served language codes and stored glossaries."""
    return {
        "TranslateRequest": _narrowed(translate_schema(settings), pairs, glossaries),
        "HeatmapRequest": _narrowed(heatmap_schema(settings), pairs),
        "AlignRequest": _narrowed(align_schema(settings), pairs),
    }


def _heatmap_query(settings: Settings, pairs: Sequence[Pair]) -> list[dict[str, Any]]:
    """The GET form of the heatmap: one query parameter per field of the POST body, same schemas."""
    schema = _narrowed(heatmap_schema(settings), pairs)
    return [
        {"name": name, "in": "query", "required": name in schema["required"], "schema": prop}
        for name, prop in schema["properties"].items()
    ]


def _post(summary: str, request: str, ok: dict[str, Any], *errors: int) -> dict[str, Any]:
    """A POST operation with a required JSON body of schema ``request``, 200 ``ok`` and the error ``errors``."""
    body = {"required": True, "content": {JSON: {"schema": ref(request)}}}
    return {"summary": summary, "requestBody": body, "responses": {"200": ok, **_errors(*errors)}}


def _paths(settings: Settings, pairs: Sequence[Pair]) -> dict[str, Any]:
    """Every path: the alignment-carrying ones, then the service's own."""
    return {**_translation_paths(settings, pairs), **_service_paths(pairs)}


def _translation_paths(settings: Settings, pairs: Sequence[Pair]) -> dict[str, Any]:
    """Translation, forced alignment and the heatmap."""
    png = {
        "description": "The alignment heatmap",
        "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
    }
    translations = _json_response("Translations in input order", "TranslateResponse")
    links = _json_response("Links and soft matrices", "AlignResponse")
    return {
        "/v1/translate": {
            "post": _post("Translate one or more texts, with alignments", "TranslateRequest", translations,
                          400, 401, 413, 415, 429, 503),
        },
        "/v1/align": {
            "post": _post("Word alignment of a given sentence pair (forced: the target is teacher-forced)",
                          "AlignRequest", links, 400, 401, 413, 415, 429),
        },
        "/v1/heatmap": {
            "post": _post("Alignment of one sentence as a PNG", "HeatmapRequest", png, 400, 401, 413, 415, 429, 503),
            "get": {
                "summary": "Alignment of one sentence as a PNG (query form)",
                "parameters": _heatmap_query(settings, pairs),
                "responses": {"200": png, **_errors(400, 401, 414, 429, 503)},
            },
        },
    }  # fmt: skip


def _service_paths(pairs: Sequence[Pair]) -> dict[str, Any]:
    """Health, languages, model description, metrics, this document and the page."""
    return {
        "/v1/health": {
            "get": {
                "summary": "Readiness: 200 once the model is loaded and the batcher runs",
                "responses": {"200": _json_response("Ready", "Health"), "503": _json_response("Not ready", "Health")},
            }
        },
        "/v1/languages": {
            "get": {
                "summary": "The language pairs this server translates, with each package's name and scores",
                "responses": {"200": _json_response("Pairs", "Languages")},
            }
        },
        "/v1/model": {
            "get": {
                "summary": "Metadata of the package of a pair (?source=&target=; may be left out when unambiguous)",
                "parameters": [
                    {"name": name, "in": "query", "required": False, "schema": served_language(pairs, name)}
                    for name in ("source", "target")
                ],
                "responses": {"200": _json_response("Model", "Model"), **_errors(400, 414)},
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics (all workers)",
                "responses": {"200": {"description": "Prometheus text format", "content": {"text/plain": {}}}},
            }
        },
        "/v1/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.0"}}}},
        "/": {
            "get": {
                "summary": "Web page with an interactive alignment heatmap",
                "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}},
            }
        },
    }


def openapi_document(settings: Settings, pairs: Sequence[Pair], glossaries: Sequence[str] = ()) -> dict[str, Any]:
    """The OpenAPI document, with the configured limits and the server's language pairs filled in."""
    title = "Translation service"
    names = ", ".join(f"{source}->{target}" for source, target in pairs)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "version": "1",
            "description": "Neural machine translation with attention alignments, for the language pairs "
            f'{names}. Errors are JSON {{"error": ...}}; every response has an X-Request-ID header.',
        },
        "paths": _paths(settings, pairs),
        "components": {
            "schemas": {**_request_schemas(settings, pairs, glossaries), **translation_schemas(), **other_schemas()}
        },
    }
