"""The request schema, declared once: the OpenAPI document (``serve.openapi``) publishes it and the
validator (``serve.validation``) enforces it, so the two cannot drift apart.

Each request is an OpenAPI 3.0 schema object built from the server's limits. ``serve.checker.check_object``
interprets the subset of keywords used here (type, nullable, required, oneOf of required fields,
additionalProperties, minimum/maximum, maxLength, pattern, enum, minItems/maxItems, items) and raises
:class:`ApiError` with a message that names the field and what is wrong.
"""

from __future__ import annotations

import re
from typing import Any

from serve.glossaries import NAME_PATTERN
from serve.settings import Settings
from translator.alignment.aligner import COMBINATIONS, AlignMethod
from translator.alignment.links import DEFAULT_LINK_RULE, LINK_RULES, RULES
from translator.glossary import GLOSSARY_METHODS
from translator.langcode import MAX_CODE_CHARS
from translator.markup import MARKUP_FORMATS, ONE_DIRECTION, TAG_SYMMETRISE

# Control characters other than tab, newline and carriage return (escaped, so the pattern is plain ASCII in
# the JSON document; Python's ``re``, ECMAScript and generic tools such as schemathesis read it alike). Lone
# surrogates (a JSON escape such as "\\ud800" that is not valid Unicode) are refused too, by the check below:
# a pattern cannot name them in a form those tools use, and no UTF-8 client can send one.
FORBIDDEN = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F"
TEXT_PATTERN = rf"^[^{FORBIDDEN}]*$"
NONBLANK_PATTERN = rf"^[^{FORBIDDEN}]*[^\s{FORBIDDEN}][^{FORBIDDEN}]*$"  # also one character that is not a space
TAG_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$"  # an element name in a request's tag options (XML: prefix:name)
SURROGATE = re.compile("[\ud800-\udfff]")
FORMATS = ("text", *MARKUP_FORMATS)  # what /v1/translate's texts are: plain text, or fragments (translator.markup)


class ApiError(Exception):
    """An error answered as ``{"error": message}`` with HTTP ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


LANGUAGE = {
    "type": "string",
    "maxLength": MAX_CODE_CHARS,
    "pattern": "^[A-Za-z0-9_-]+$",
    "nullable": True,
    "description": "BCP 47 code such as en, pt-BR or zh-Hant (any case, _ for -); one of the server's pairs "
    "(GET /v1/languages); may be left out when the server's packages leave no doubt",
}


def _text(settings: Settings, pattern: str = TEXT_PATTERN, limit: int | None = None) -> dict[str, Any]:
    return {
        "type": "string",
        "maxLength": limit or settings.max_text_chars,
        "pattern": pattern,
        "description": "No control characters other than tab, newline and carriage return",
    }


def _sentence(settings: Settings, description: str) -> dict[str, Any]:
    """One sentence, not blank, at most ``max_sentence_chars`` long."""
    limit = min(settings.max_sentence_chars, settings.max_text_chars)
    return {**_text(settings, NONBLANK_PATTERN, limit), "description": description}


def _term() -> dict[str, Any]:
    """One side of a glossary entry: a short text with a character that is not a space."""
    return {"type": "string", "maxLength": 200, "pattern": NONBLANK_PATTERN}


def _tag_names(description: str) -> dict[str, Any]:
    """A list of element names (the options of formats html and xml; XML names may have a prefix)."""
    name = {"type": "string", "pattern": TAG_NAME_PATTERN}
    return {"type": "array", "items": name, "maxItems": 32, "default": [], "description": description}


def beam_schema(settings: Settings) -> dict[str, Any]:
    """``beam_size``: an integer in [1, max_beam]; null or absent: the server's default."""
    return {
        "type": "integer",
        "minimum": 1,
        "maximum": settings.max_beam,
        "nullable": True,
        "description": "Beam width; absent or null: the server's default",
    }


def translate_schema(settings: Settings) -> dict[str, Any]:
    """The body of ``POST /v1/translate``."""
    return {
        "type": "object",
        "additionalProperties": False,
        "oneOf": [{"required": ["text"]}, {"required": ["texts"]}],
        "description": "Exactly one of text or texts (each a sentence, a paragraph or a document). Blank texts "
        "give an empty translation.",
        "properties": {
            "text": _text(settings),
            "texts": {"type": "array", "items": _text(settings), "minItems": 1, "maxItems": settings.max_texts},
            "source": LANGUAGE,
            "target": LANGUAGE,
            "beam_size": beam_schema(settings),
            "split": {
                "type": "boolean",
                "default": True,
                "description": "Split each text into sentences (lines, then sentencex); false: one sentence a text",
            },
            **_markup_options(),
            **_glossary_options(settings),
            **_output_options(settings),
        },
    }


def _markup_options() -> dict[str, Any]:
    """What the texts are (plain text or fragments) and how their tags are placed and split sentences."""
    return {
        "format": {
            "type": "string",
            "enum": list(FORMATS),
            "default": "text",
            "description": "text: plain text; html or xml: fragments whose inline tags are carried to the "
            "words that translate what they wrapped (malformed HTML is read as the HTML parser repairs it, "
            "malformed XML is refused; translation is markup; offsets, alignments and word links refer to "
            "plain_source and plain_translation, the texts without their tags)",
        },
        "symmetrise": {
            "type": "string",
            "enum": [*COMBINATIONS, ONE_DIRECTION, None],  # null: leave out, as nullable says
            "nullable": True,
            "description": "formats html and xml: place the tags (and glossary terms) by links that combine "
            "this direction with the reverse direction's package (which the server must hold), both "
            "force-aligning each sentence and its translation, combined as in /v1/align (link_rule is each "
            f"direction's rule); null: {TAG_SYMMETRISE} when the server holds the reverse package, else as "
            f"{ONE_DIRECTION}; {ONE_DIRECTION}: the translation's own links by link_rule",
        },
        "ignore_tags": _tag_names("format html or xml: more elements kept untranslated, with their content"),
        "non_splitting_tags": _tag_names("format html or xml: block elements that do not split sentences"),
        "splitting_tags": _tag_names(
            "format html or xml: more elements that split sentences, like HTML's p "
            "(XML has no block elements of its own)"
        ),
    }


def _glossary_options(settings: Settings) -> dict[str, Any]:
    """The request's glossary, a stored one, and how terms get into the translation."""
    return {
        "glossary": {
            "type": "array",
            "maxItems": settings.max_glossary_entries,
            "uniqueItems": True,
            "default": [],
            "description": "Required translations of terms, matched case-insensitively on whole words of the "
            "source (longest first); each term's target words (by the word links) are replaced by the entry's "
            "target. Empty, duplicated or conflicting entries are refused.",
            "items": {
                "type": "object",
                "required": ["source", "target"],
                "additionalProperties": False,
                "properties": {"source": _term(), "target": _term()},
            },
        },
        "glossary_id": {
            "type": "string",
            "pattern": NAME_PATTERN,
            "nullable": True,
            "description": "A glossary stored on the server for the pair (GET /v1/languages lists them); the "
            "request's own glossary entries win where the two disagree",
        },
        "glossary_method": {
            "type": "string",
            "enum": list(GLOSSARY_METHODS),
            "default": GLOSSARY_METHODS[0],
            "description": "replace: translate, then put each term in place of the target words linked to its "
            "source words; constrain: constrained beam search, which writes the terms into the translation "
            "(slower; the sentence is built around them)",
        },
    }


def _output_options(settings: Settings) -> dict[str, Any]:
    """Alternatives, alignments and word links in the answer."""
    return {
        "n_best": {
            "type": "integer",
            "minimum": 1,
            "maximum": settings.max_beam,
            "default": 1,
            "nullable": True,
            "description": "Alternatives per sentence, in each sentence's n_best; a beam narrower than this is "
            "widened to it (a beam of K yields at most K alternatives)",
        },
        "alignment": {"type": "boolean", "default": True, "description": "Include the piece alignment"},
        "word_alignment": {"type": "boolean", "default": False, "description": "Include a word alignment"},
        "link_rule": {
            "type": "string",
            "enum": list(LINK_RULES),
            "default": DEFAULT_LINK_RULE,
            "description": "How word_links are read from the word matrix: argmax (each target word to its most "
            "attended source word) or mutual (the maximum of both its row and its column; a word may stay "
            "unlinked; the lower AER on the WPT 2003 dev pairs, README). Left out with format html or xml: "
            "mutual, which the tags then follow",
        },
    }


def heatmap_schema(settings: Settings) -> dict[str, Any]:
    """The body of ``POST /v1/heatmap``, and the parameters of ``GET /v1/heatmap``."""
    return {
        "type": "object",
        "required": ["text"],
        "additionalProperties": False,
        "properties": {
            "text": _sentence(settings, "One sentence, not blank"),
            "source": LANGUAGE,
            "target": LANGUAGE,
            "beam_size": beam_schema(settings),
            "level": {"type": "string", "enum": ["piece", "word"], "default": "piece"},
        },
    }


def align_schema(settings: Settings) -> dict[str, Any]:
    """The body of ``POST /v1/align``: one sentence pair and how to read links from its attention."""
    return {
        "type": "object",
        "required": ["source", "target"],
        "additionalProperties": False,
        "properties": {
            "source": _sentence(settings, "Words are its whitespace-separated tokens"),
            "target": _sentence(settings, "The given translation (teacher-forced); whitespace-separated words"),
            "source_lang": LANGUAGE,
            "target_lang": LANGUAGE,
            "rule": {"type": "string", "enum": list(RULES), "default": AlignMethod.rule},
            "threshold": {
                "type": "number",
                "minimum": 0,
                "exclusiveMinimum": True,
                "maximum": 1,
                "default": AlignMethod.threshold,
                "description": "Weight from which a pair is linked (rule threshold)",
            },
            "shift": {
                "type": "boolean",
                "default": AlignMethod.shift,
                "description": "Read each target piece's row from the step after it",
            },
            "symmetrise": {
                "type": "string",
                "enum": [*COMBINATIONS, None],  # null: leave out, as nullable says
                "nullable": True,
                "description": "Also force-align the pair with the reverse direction's package (which the server "
                "must hold) and combine the two: the links of each direction by the rule, intersected, united or "
                "grown (grow-diag-final), or the rule applied to the mean of both word matrices (mean)",
            },
        },
    }
