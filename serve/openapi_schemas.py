"""The response schemas of the OpenAPI document (``serve.openapi``): translations with their sentences, words
and n-best lists, alignments, languages, health, model description and errors."""

from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def translation_schemas() -> dict[str, Any]:
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
                    "description": "The translated text, with the original's line breaks and spacing (formats html "
                    "and xml: markup, with the input's tags)",
                },
                "plain_source": {"type": "string", "description": "formats html and xml: the input without its tags"},
                "plain_translation": {
                    "type": "string",
                    "description": "formats html and xml: the translation without tags; with a glossary: the "
                    "translation before the terms were put in (offsets, alignments and word links refer to it)",
                },
                "glossary": {
                    "type": "array",
                    "description": "The glossary entries applied: where each term was found and where it now is",
                    "items": {
                        "type": "object",
                        "properties": {
                            "source": {"type": "string"},
                            "target": {"type": "string"},
                            "source_span": {"type": "array", "items": {"type": "integer"}},
                            "target_span": {"type": "array", "items": {"type": "integer"}},
                        },
                    },
                },
                "source_tokens": strings,
                "target_tokens": strings,
                "alignment": {**matrix, "description": "Rows: target pieces; columns: source pieces; rows sum to 1"},
                "word_alignment": ref("WordAlignment"),
                "whole_alignment": {
                    "type": "boolean",
                    "description": "Texts of several sentences only: false when the whole-text 'alignment' and "
                    "'word_alignment' were left out because target x source pieces passed the server's "
                    "max_alignment_cells (each sentence keeps its own)",
                },
                "score": {"type": "number", "description": "Length-normalised log-probability (mean over sentences)"},
                "confidence": confidence,
                "sentences": {"type": "array", "items": ref("Sentence")},
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
                "source_words": {"type": "array", "items": ref("Word")},
                "target_words": {"type": "array", "items": ref("Word")},
                "word_links": {
                    **links,
                    "description": "[source word, target word], read by the request's link_rule",
                },
                "word_alignment": ref("WordAlignment"),
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
            "required": ["model", "beam_size", "translations"],
            "properties": {
                "model": ref("ModelSummary"),
                "beam_size": {"type": "integer"},
                "translations": {"type": "array", "items": ref("Translation")},
            },
        },
        "AlignResponse": {
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
                **{k: strings for k in ("source_words", "target_words", "source_pieces", "target_pieces")},
                "piece_alignment": {**matrix, "description": "Rows: target pieces; columns: source pieces"},
                "word_alignment": {**matrix, "description": "Rows: target words; columns: source words"},
                "links": links,
            },
        },
    }


def other_schemas() -> dict[str, Any]:
    """Errors, health and model description."""
    loose = {"type": "object"}
    strings = {k: {"type": "string"} for k in ("name", "src_lang", "tgt_lang")}
    return {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
        "ModelSummary": {"type": "object", "required": list(strings), "properties": strings},
        "Health": {
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
        },
        "Languages": {
            "type": "object",
            "required": ["pairs", "languages", "api_key_required"],
            "properties": {
                "pairs": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "source": {"type": "string"},
                            "target": {"type": "string"},
                            "model": {"type": "string"},
                            "glossaries": {"type": "array", "items": {"type": "string"}},
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
            "required": ["name", "src_lang", "tgt_lang", "decode", "architecture", "limits", "quantization"],
            "properties": {
                **strings,
                "parameters": {"type": "integer"},
                **{k: loose for k in ("scores", "decode", "architecture", "limits", "training_data")},
                "format": {"type": "string", "description": "The package format's name"},
                "format_version": {"type": "integer"},
                "created": {"type": "string", "description": "When the package was exported (ISO 8601)"},
                "checkpoint": {"type": "string", "description": "The checkpoint file it was exported from"},
                "averaged_from": {"type": "array", "items": {"type": "string"}},
                "quantization": {"type": "string", "enum": ["none", "int8", "bf16"]},
                "torch_threads": {"type": "integer", "description": "Intra-op threads of the answering worker"},
            },
        },
    }
