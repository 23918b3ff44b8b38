"""The OpenAPI 3.0 document served at ``GET /v1/openapi.json``. The request bodies and the heatmap's
query parameters are ``serve.schema``'s, the very schemas the validator enforces."""

from __future__ import annotations

from typing import Any

from serve.schema import LANGUAGE, align_schema, heatmap_schema, translate_schema
from serve.settings import Settings

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_response(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref(schema)}}}


def _errors(*codes: int) -> dict[str, Any]:
    texts = {
        400: "Invalid request: bad JSON, invalid UTF-8, missing/wrong-typed/unknown fields, limits exceeded, "
        "an unknown language pair or none named where the server holds several",
        401: "An API key is required (X-API-Key or Authorization: Bearer) and none or an unknown one was sent",
        404: "Unknown path",
        405: "Method not allowed on this path",
        413: "Request body larger than the configured limit",
        415: "Content-Type is not application/json",
        429: "Over the rate limit; Retry-After says when to try again",
        503: "Model not ready, queue full or timed out; retry later",
    }
    return {str(code): _json_response(texts[code], "Error") for code in codes}


def _request_schemas(settings: Settings) -> dict[str, Any]:
    """Request bodies, with the configured limits."""
    return {
        "TranslateRequest": translate_schema(settings),
        "HeatmapRequest": heatmap_schema(settings),
        "AlignRequest": align_schema(settings),
    }


def _translation_schemas() -> dict[str, Any]:
    """One translation and the response that carries a list of them."""
    matrix = {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}
    strings = {"type": "array", "items": {"type": "string"}}
    numbers = {"type": "array", "items": {"type": "number"}}
    span = {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}
    confidence = {
        "type": "number",
        "minimum": 0,
        "maximum": 1,
        "description": "exp(mean log-probability of the pieces and the end of sentence): the geometric mean of "
        "their probabilities",
    }
    links = {  # word links [source word, target word], 0-indexed
        "type": "array",
        "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
        "description": "[source word, target word], 0-indexed",
    }
    return {
        "WordAlignment": {
            "type": "object",
            "properties": {
                "source_words": strings,
                "target_words": strings,
                "alignment": matrix,
                "links": {
                    **links,
                    "description": "[source word, target word]: each target word and its most attended source word",
                },
            },
        },
        "Translation": {
            "type": "object",
            "description": "One text (sentence, paragraph or document). The whole-text fields concatenate its "
            "sentences (the alignment is block-diagonal); 'sentences' has each one.",
            "required": ["translation", "source_tokens", "target_tokens", "score", "confidence", "sentences"],
            "properties": {
                "translation": {
                    "type": "string",
                    "description": "The translated text, with the original's line breaks and spacing",
                },
                "source_tokens": strings,
                "target_tokens": strings,
                "alignment": {**matrix, "description": "Rows: target pieces; columns: source pieces; rows sum to 1"},
                "word_alignment": _ref("WordAlignment"),
                "score": {"type": "number", "description": "Length-normalised log-probability (mean over sentences)"},
                "confidence": confidence,
                "sentences": {"type": "array", "items": _ref("Sentence")},
            },
        },
        "Word": {
            "type": "object",
            "description": "A word and its character offsets [start, end) in the original (source) or the "
            "translated (target) text of the whole request item",
            "properties": {"text": {"type": "string"}, "start": {"type": "integer"}, "end": {"type": "integer"}},
        },
        "Sentence": {
            "type": "object",
            "properties": {
                "translation": {"type": "string"},
                "source_span": {**span, "description": "[start, end) of the sentence in the original text"},
                "target_span": {**span, "description": "[start, end) of its translation in the translated text"},
                "source_tokens": strings,
                "target_tokens": strings,
                "score": {"type": "number", "description": "Length-normalised log-probability"},
                "confidence": confidence,
                "token_logprobs": {**numbers, "description": "Log-probability of each target piece"},
                "eos_logprob": {"type": "number", "description": "Log-probability of the end of the sentence"},
                "alignment": {**matrix, "description": "Rows: target pieces; columns: source pieces; rows sum to 1"},
                "source_words": {"type": "array", "items": _ref("Word")},
                "target_words": {"type": "array", "items": _ref("Word")},
                "word_links": {**links, "description": "[source word, target word]: each target word's most attended"},
                "word_alignment": _ref("WordAlignment"),
                "n_best": {
                    "type": "array",
                    "description": "With n_best > 1: the alternatives, best first (the first is this translation)",
                    "items": {
                        "type": "object",
                        "properties": {
                            "translation": {"type": "string"},
                            "target_tokens": strings,
                            "score": {"type": "number"},
                            "confidence": confidence,
                            "token_logprobs": numbers,
                            "eos_logprob": {"type": "number"},
                        },
                    },
                },
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
        "AlignResponse": {
            "type": "object",
            "properties": {
                "model": _ref("ModelSummary"),
                "method": {"type": "string", "description": "e.g. 'argmax', 'shifted threshold 0.3'"},
                **{k: strings for k in ("source_words", "target_words", "source_pieces", "target_pieces")},
                "piece_alignment": {**matrix, "description": "Rows: target pieces; columns: source pieces"},
                "word_alignment": {**matrix, "description": "Rows: target words; columns: source words"},
                "links": links,
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
        "Health": {
            "type": "object",
            "properties": {
                "status": {"type": "string", "enum": ["ready", "unavailable"]},
                "load": {
                    "type": "object",
                    "description": "Work in flight in the worker that answered: light-lane sentences, heavy-lane cost",
                    "properties": {"light_sentences": {"type": "integer"}, "heavy_cost": {"type": "number"}},
                },
            },
        },
        "Languages": {
            "type": "object",
            "properties": {
                "pairs": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "source": {"type": "string"},
                            "target": {"type": "string"},
                            "model": {"type": "string"},
                            "scores": loose,
                        },
                    },
                },
                "languages": {
                    "type": "array",
                    "description": "Every source language with its targets",
                    "items": {
                        "type": "object",
                        "properties": {
                            "code": {"type": "string"},
                            "targets": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
                "api_key_required": {"type": "boolean"},
            },
        },
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


def _heatmap_query(settings: Settings) -> list[dict[str, Any]]:
    """The GET form of the heatmap: one query parameter per field of the POST body, same schemas."""
    schema = heatmap_schema(settings)
    return [
        {"name": name, "in": "query", "required": name in schema["required"], "schema": prop}
        for name, prop in schema["properties"].items()
    ]


def _paths(settings: Settings) -> dict[str, Any]:
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
                    **_errors(400, 401, 413, 415, 429, 503),
                },
            }
        },
        "/v1/align": {
            "post": {
                "summary": "Word alignment of a given sentence pair (forced: the target is teacher-forced)",
                "requestBody": {"required": True, "content": {JSON: {"schema": _ref("AlignRequest")}}},
                "responses": {
                    "200": _json_response("Links and soft matrices", "AlignResponse"),
                    **_errors(400, 401, 413, 415, 429),
                },
            }
        },
        "/v1/heatmap": {
            "post": {
                "summary": "Alignment of one sentence as a PNG",
                "requestBody": {"required": True, "content": {JSON: {"schema": _ref("HeatmapRequest")}}},
                "responses": {"200": png, **_errors(400, 401, 413, 415, 429, 503)},
            },
            "get": {
                "summary": "Alignment of one sentence as a PNG (query form)",
                "parameters": _heatmap_query(settings),
                "responses": {"200": png, **_errors(400, 401, 429, 503)},
            },
        },
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
                    {"name": name, "in": "query", "required": False, "schema": LANGUAGE}
                    for name in ("source", "target")
                ],
                "responses": {"200": _json_response("Model", "Model"), **_errors(400)},
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


def openapi_document(settings: Settings, pairs: list[str]) -> dict[str, Any]:
    """The OpenAPI document, with the configured limits and the server's language pairs filled in."""
    title = "Translation service"
    return {
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "version": "1",
            "description": "Neural machine translation with attention alignments, for the language pairs "
            f'{", ".join(pairs)}. Errors are JSON {{"error": ...}}; every response has an X-Request-ID header.',
        },
        "paths": _paths(settings),
        "components": {"schemas": {**_request_schemas(settings), **_translation_schemas(), **_other_schemas()}},
    }
