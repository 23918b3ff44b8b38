"""The response schemas of the OpenAPI document (``serve.openapi``): translations with their sentences, words
and n-best lists, alignments, languages, health, model description and errors."""

from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


MATRIX = {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}
STRINGS = {"type": "array", "items": {"type": "string"}}
NUMBERS = {"type": "array", "items": {"type": "number"}}
SPAN = {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}  # [start, end)
CONFIDENCE = {
    "type": "number",
    "minimum": 0,
    "maximum": 1,
    "description": "exp(mean log-probability of the pieces and the end of sentence): the geometric mean of "
    "their probabilities",
}
LINKS = {  # word links [source word, target word], 0-indexed
    "type": "array",
    "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
    "description": "[source word, target word], 0-indexed",
}
LOOSE = {"type": "object"}
MODEL_NAMES = {k: {"type": "string"} for k in ("name", "src_lang", "tgt_lang")}
PIECE_ALIGNMENT = {**MATRIX, "description": "Rows: target pieces; columns: source pieces; rows sum to 1"}


def translation_schemas() -> dict[str, Any]:
    """One translation, its sentences, words and alignments, and the responses that carry them."""
    return {
        "WordAlignment": _word_alignment(),
        "Translation": _translation(),
        "Word": {
            "type": "object",
            "description": "A word and its character offsets [start, end) in the original (source) or the "
            "translated (target) text of the whole request item",
            "properties": {"text": {"type": "string"}, "start": {"type": "integer"}, "end": {"type": "integer"}},
        },
        "Sentence": _sentence(),
        "TranslateResponse": {
            "type": "object",
            "required": ["model", "beam_size", "translations"],
            "properties": {
                "model": ref("ModelSummary"),
                "beam_size": {"type": "integer"},
                "translations": {"type": "array", "items": ref("Translation")},
            },
        },
        "AlignResponse": _align_response(),
    }


def _word_alignment() -> dict[str, Any]:
    links = {**LINKS, "description": "[source word, target word]: each target word and its most attended source word"}
    return {
        "type": "object",
        "properties": {"source_words": STRINGS, "target_words": STRINGS, "alignment": MATRIX, "links": links},
    }


def _translation() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "One text (sentence, paragraph or document). The whole-text fields concatenate its "
        "sentences (the alignment is block-diagonal); 'sentences' has each one.",
        "required": ["translation", "source_tokens", "target_tokens", "score", "confidence", "sentences"],
        "properties": {
            "translation": {
                "type": "string",
                "description": "The translated text, with the original's line breaks and spacing (formats html "
                "and xml: markup, with the input's tags)",
            },
            "plain_source": {"type": "string", "description": "formats html and xml: the input without its tags"},
            "plain_translation": {
                "type": "string",
                "description": "formats html and xml: the translation without tags; with a glossary: the "
                "translation before the terms were put in (offsets, alignments and word links refer to it)",
            },
            "glossary": _glossary_applied(),
            "source_tokens": STRINGS,
            "target_tokens": STRINGS,
            "alignment": PIECE_ALIGNMENT,
            "word_alignment": ref("WordAlignment"),
            "whole_alignment": {
                "type": "boolean",
                "description": "Texts of several sentences only: false when the whole-text 'alignment' and "
                "'word_alignment' were left out because target x source pieces passed the server's "
                "max_alignment_cells (each sentence keeps its own)",
            },
            "score": {"type": "number", "description": "Length-normalised log-probability (mean over sentences)"},
            "confidence": CONFIDENCE,
            "sentences": {"type": "array", "items": ref("Sentence")},
        },
    }


def _glossary_applied() -> dict[str, Any]:
    span = {"type": "array", "items": {"type": "integer"}}
    return {
        "type": "array",
        "description": "The glossary entries applied: where each term was found and where it now is",
        "items": {
            "type": "object",
            "properties": {
                "source": {"type": "string"},
                "target": {"type": "string"},
                "source_span": span,
                "target_span": span,
            },
        },
    }


def _sentence() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "translation": {"type": "string"},
            "source_span": {**SPAN, "description": "[start, end) of the sentence in the original text"},
            "target_span": {**SPAN, "description": "[start, end) of its translation in the translated text"},
            "source_tokens": STRINGS,
            "target_tokens": STRINGS,
            "score": {"type": "number", "description": "Length-normalised log-probability"},
            "confidence": CONFIDENCE,
            "token_logprobs": {**NUMBERS, "description": "Log-probability of each target piece"},
            "eos_logprob": {"type": "number", "description": "Log-probability of the end of the sentence"},
            "alignment": PIECE_ALIGNMENT,
            "source_words": {"type": "array", "items": ref("Word")},
            "target_words": {"type": "array", "items": ref("Word")},
            "word_links": {**LINKS, "description": "[source word, target word], read by the request's link_rule"},
            "word_alignment": ref("WordAlignment"),
            "n_best": _n_best(),
        },
    }


def _n_best() -> dict[str, Any]:
    return {
        "type": "array",
        "description": "With n_best > 1: the alternatives, best first (the first is this translation)",
        "items": {
            "type": "object",
            "properties": {
                "translation": {"type": "string"},
                "target_tokens": STRINGS,
                "score": {"type": "number"},
                "confidence": CONFIDENCE,
                "token_logprobs": NUMBERS,
                "eos_logprob": {"type": "number"},
            },
        },
    }


def _align_response() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "model": ref("ModelSummary"),
            "reverse_model": {
                "allOf": [ref("ModelSummary")],
                "description": "The opposite pair's package (symmetrise)",
            },
            "method": {
                "type": "string",
                "description": "e.g. 'argmax', 'shifted threshold 0.3', 'mutual, mean of both directions'",
            },
            **{k: STRINGS for k in ("source_words", "target_words", "source_pieces", "target_pieces")},
            "piece_alignment": {**MATRIX, "description": "Rows: target pieces; columns: source pieces"},
            "word_alignment": {**MATRIX, "description": "Rows: target words; columns: source words"},
            "links": LINKS,
        },
    }


def other_schemas() -> dict[str, Any]:
    """Errors, health, languages and model description."""
    return {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
        "ModelSummary": {"type": "object", "required": list(MODEL_NAMES), "properties": MODEL_NAMES},
        "Health": _health(),
        "Languages": _languages(),
        "Model": _model(),
    }


def _health() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": ["ready", "unavailable"]},
            "error": {"type": "string", "description": "Why the worker is not ready (503 only)"},
            "model": ref("ModelSummary"),
            "pairs": {"type": "integer", "description": "How many language pairs this server translates"},
            "load": {
                "type": "object",
                "description": "Work in flight in the worker that answered: light-lane sentences, heavy-lane cost",
                "properties": {"light_sentences": {"type": "integer"}, "heavy_cost": {"type": "number"}},
            },
        },
    }


def _languages() -> dict[str, Any]:
    pair = {
        "type": "object",
        "properties": {
            "source": {"type": "string"},
            "target": {"type": "string"},
            "model": {"type": "string"},
            "glossaries": STRINGS,
            "scores": LOOSE,
        },
    }
    language = {"type": "object", "properties": {"code": {"type": "string"}, "targets": STRINGS}}
    return {
        "type": "object",
        "required": ["pairs", "languages", "api_key_required"],
        "properties": {
            "pairs": {"type": "array", "items": pair},
            "languages": {"type": "array", "description": "Every source language with its targets", "items": language},
            "api_key_required": {"type": "boolean"},
        },
    }


def _model() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Package metadata (name, languages, parameters, scores, ...), decoding defaults, limits",
        "required": ["name", "src_lang", "tgt_lang", "decode", "architecture", "limits", "quantization"],
        "properties": {
            **MODEL_NAMES,
            "parameters": {"type": "integer"},
            **{k: LOOSE for k in ("scores", "decode", "architecture", "limits", "training_data")},
            "format": {"type": "string", "description": "The package format's name"},
            "format_version": {"type": "integer"},
            "created": {"type": "string", "description": "When the package was exported (ISO 8601)"},
            "checkpoint": {"type": "string", "description": "The checkpoint file it was exported from"},
            "averaged_from": STRINGS,
            "quantization": {"type": "string", "enum": ["none", "int8", "bf16"]},
            "torch_threads": {"type": "integer", "description": "Intra-op threads of the answering worker"},
        },
    }
