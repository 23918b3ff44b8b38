"""The OpenAPI 3.0 document served at ``GET /v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from serve.settings import Settings

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_response(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref(schema)}}}


def _errors(*codes: int) -> dict[str, Any]:
    texts = {
        400: "Invalid request: bad JSON, invalid UTF-8, missing/wrong-typed/unknown fields, limits exceeded",
        404: "Unknown path",
        405: "Method not allowed on this path",
        413: "Request body larger than the configured limit",
        415: "Content-Type is not application/json",
        503: "Model not ready, queue full or timed out; retry later",
    }
    return {str(code): _json_response(texts[code], "Error") for code in codes}


def _request_schemas(settings: Settings) -> dict[str, Any]:
    """Request bodies, with the configured limits."""
    text = {"type": "string", "maxLength": settings.max_text_chars, "description": "No control characters"}
    beam = {"type": "integer", "minimum": 1, "maximum": settings.max_beam, "description": "Default: the model's"}
    return {
        "TranslateRequest": {
            "type": "object",
            "additionalProperties": False,
            "description": "Exactly one of text or texts. Blank texts give an empty translation.",
            "properties": {
                "text": text,
                "texts": {"type": "array", "items": text, "minItems": 1, "maxItems": settings.max_texts},
                "beam_size": beam,
                "alignment": {"type": "boolean", "default": True, "description": "Include the piece alignment"},
                "word_alignment": {"type": "boolean", "default": False, "description": "Include a word alignment"},
                "n_best": {"type": "integer", "minimum": 1, "maximum": 1, "default": 1, "description": "Only 1"},
            },
        },
        "HeatmapRequest": {
            "type": "object",
            "required": ["text"],
            "additionalProperties": False,
            "properties": {"text": text, "beam_size": beam, "level": {"type": "string", "enum": ["piece", "word"]}},
        },
    }


def _translation_schemas() -> dict[str, Any]:
    """One translation and the response that carries a list of them."""
    matrix = {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}
    strings = {"type": "array", "items": {"type": "string"}}
    return {
        "WordAlignment": {
            "type": "object",
            "properties": {"source_words": strings, "target_words": strings, "alignment": matrix},
        },
        "Translation": {
            "type": "object",
            "required": ["translation", "source_tokens", "target_tokens", "score"],
            "properties": {
                "translation": {"type": "string"},
                "source_tokens": strings,
                "target_tokens": strings,
                "alignment": {**matrix, "description": "Rows: target pieces; columns: source pieces; rows sum to 1"},
                "word_alignment": _ref("WordAlignment"),
                "score": {"type": "number", "description": "Length-normalised log-probability"},
            },
        },
        "TranslateResponse": {
            "type": "object",
            "properties": {
                "model": _ref("ModelSummary"),
                "beam_size": {"type": "integer"},
                "translations": {"type": "array", "items": _ref("Translation")},
            },
        },
    }


def _other_schemas() -> dict[str, Any]:
    """Errors, health and model description."""
    loose = {"type": "object"}
    strings = {k: {"type": "string"} for k in ("name", "src_lang", "tgt_lang")}
    return {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
        "ModelSummary": {"type": "object", "properties": strings},
        "Health": {"type": "object", "properties": {"status": {"type": "string", "enum": ["ready", "unavailable"]}}},
        "Model": {
            "type": "object",
            "description": "Package metadata (name, languages, parameters, scores, ...), decoding defaults, limits",
            "properties": {
                **strings,
                "parameters": {"type": "integer"},
                **{k: loose for k in ("scores", "decode", "architecture", "limits")},
            },
        },
    }


def _heatmap_query() -> list[dict[str, Any]]:
    return [
        {"name": "text", "in": "query", "required": True, "schema": {"type": "string"}},
        {"name": "beam_size", "in": "query", "schema": {"type": "integer"}},
        {"name": "level", "in": "query", "schema": {"type": "string", "enum": ["piece", "word"]}},
    ]


def _paths() -> dict[str, Any]:
    png = {
        "description": "The alignment heatmap",
        "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
    }
    return {
        "/v1/translate": {
            "post": {
                "summary": "Translate one or more texts, with alignments",
                "requestBody": {"required": True, "content": {JSON: {"schema": _ref("TranslateRequest")}}},
                "responses": {
                    "200": _json_response("Translations in input order", "TranslateResponse"),
                    **_errors(400, 413, 415, 503),
                },
            }
        },
        "/v1/heatmap": {
            "post": {
                "summary": "Alignment of one sentence as a PNG",
                "requestBody": {"required": True, "content": {JSON: {"schema": _ref("HeatmapRequest")}}},
                "responses": {"200": png, **_errors(400, 413, 415, 503)},
            },
            "get": {
                "summary": "Alignment of one sentence as a PNG (query form)",
                "parameters": _heatmap_query(),
                "responses": {"200": png, **_errors(400, 503)},
            },
        },
        "/v1/health": {
            "get": {
                "summary": "Readiness: 200 once the model is loaded and the batcher runs",
                "responses": {"200": _json_response("Ready", "Health"), "503": _json_response("Not ready", "Health")},
            }
        },
        "/v1/model": {"get": {"summary": "Model metadata", "responses": {"200": _json_response("Model", "Model")}}},
        "/v1/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.0"}}}},
        "/": {
            "get": {
                "summary": "Web page with an interactive alignment heatmap",
                "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}},
            }
        },
    }


def openapi_document(settings: Settings, model: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document, with the configured limits and the loaded model's languages filled in."""
    title = f"Translation service ({model.get('src_lang', '?')} → {model.get('tgt_lang', '?')})"
    return {
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "version": "1",
            "description": 'Neural machine translation with attention alignments. Errors are JSON {"error": ...}.',
        },
        "paths": _paths(),
        "components": {"schemas": {**_request_schemas(settings), **_translation_schemas(), **_other_schemas()}},
    }
