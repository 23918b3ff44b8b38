"""One request schema: the OpenAPI document is valid, and what its schemas accept is exactly what the server
accepts (the validator, then the catalog's served codes), for every body of the error tests and for values
at each limit."""

from __future__ import annotations

import json

import pytest
from api_testlib import BAD_BODIES
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from serve.openapi import openapi_document
from serve.schema import SURROGATE, ApiError
from serve.settings import Settings
from serve.validation import parse_align, parse_heatmap, parse_translate
from translator.langcode import LanguageCodeError, normalise_code

SETTINGS = Settings(max_text_chars=20, max_texts=3, max_beam=8)
PAIRS = [("de", "en"), ("en", "fr")]
DOCUMENT = openapi_document(SETTINGS, PAIRS)
SERVED = {"source": {s for s, _ in PAIRS}, "target": {t for _, t in PAIRS}}
SCHEMAS = DOCUMENT["components"]["schemas"]


def _json_objects(raw_bodies: list[bytes]) -> list[dict]:
    objects = []
    for raw in raw_bodies:
        try:
            value = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            continue
        if isinstance(value, dict):
            objects.append(value)
    return objects


EDGES = [
    {"text": "a" * 20},
    {"text": "a" * 21},
    {"text": ""},
    {"text": "tab\tnew\nline\r"},
    {"text": "bell\x07"},
    {"text": "c1\x85"},
    {"texts": ["a", "b", "c"]},
    {"texts": ["a", "b", "c", "d"]},
    {"texts": ["a", None]},
    {"text": "a", "beam_size": None},
    {"text": "a", "beam_size": 1},
    {"text": "a", "beam_size": 8},
    {"text": "a", "beam_size": 8.0},
    {"text": "a", "beam_size": 10**400},
    {"text": "a", "n_best": 1},
    {"text": "a", "n_best": None},
    {"text": "a", "alignment": False, "word_alignment": True},
    {"text": "a", "word_alignment": None},
    {"texts": "a", "text": "b"},
    {"text": "a", "source": "de", "target": "en"},
    {"text": "a", "source": "d"},
    {"text": "a", "source": "deu", "target": None},
    {"text": "a", "target": "EN"},
    {"text": "a", "split": False},
    {"text": "a", "split": 0},
    {"text": "a", "n_best": 8},
    {"text": "a", "n_best": 9},
]
HEATMAP_BODIES = [
    {"text": "Ein Hund."},
    {"text": " \n "},
    {"text": ""},
    {"text": "a", "level": "word"},
    {"text": "a", "level": "char"},
    {"text": "a", "beam_size": 9},
    {"text": "a", "beam_size": None},
    {"text": "a\x00"},
    {"text": "a" * 21},
    {"level": "word"},
    {"text": "a", "texts": ["a"]},
]


ALIGN_BODIES = [
    {"source": "a b", "target": "c"},
    {"source": "a b"},
    {"source": " ", "target": "c"},
    {"source": "a", "target": "c", "rule": "threshold", "threshold": 0.3},
    {"source": "a", "target": "c", "threshold": 0},
    {"source": "a", "target": "c", "threshold": 1},
    {"source": "a", "target": "c", "threshold": 1.0001},
    {"source": "a", "target": "c", "threshold": -0.1},
    {"source": "a", "target": "c", "threshold": "0.5"},
    {"source": "a", "target": "c", "threshold": None},
    {"source": "a", "target": "c", "shift": True, "rule": "argmax"},
    {"source": "a", "target": "c", "rule": "mean"},
    {"source": "a", "target": "c", "beam_size": 2},
    {"source": "a" * 21, "target": "c"},
]


def _accepts(parse, body: dict) -> bool:
    """Whether the server takes ``body``: the validator, then (as the catalog does) its language codes."""
    try:
        parsed = parse(body, SETTINGS)
    except ApiError as err:
        assert err.status == 400
        return False
    codes = {"source": getattr(parsed, "source_lang", None), "target": getattr(parsed, "target_lang", None)}
    if parse is not parse_align:
        codes = {"source": parsed.source, "target": parsed.target}
    return all(code is None or _served(code, SERVED[side]) for side, code in codes.items())


def _other_spelling(code: object) -> bool:
    """A valid code written other than canonically (the document lists the canonical codes only)."""
    try:
        return isinstance(code, str) and normalise_code(code) != code
    except LanguageCodeError:
        return False


def _served(code: str, served: set[str]) -> bool:
    try:
        return normalise_code(code) in served
    except LanguageCodeError:
        return False


def test_the_document_is_valid_openapi() -> None:
    validate(DOCUMENT)


@pytest.mark.parametrize("body", _json_objects([b for b, _ in BAD_BODIES]) + EDGES, ids=repr)
def test_translate_schema_and_validator_agree(body: dict) -> None:
    if SURROGATE.search(json.dumps(body, ensure_ascii=False)):  # not valid Unicode: no pattern names it (schema.py)
        assert not _accepts(parse_translate, body)
        return
    if any(_other_spelling(body.get(side)) for side in ("source", "target")):  # deu, DE: read as de
        assert _accepts(parse_translate, body) == _accepts(parse_translate, {**body, "source": "de", "target": "en"})
        return
    schema_says = OAS30Validator(SCHEMAS["TranslateRequest"]).is_valid(body)
    assert _accepts(parse_translate, body) == schema_says


@pytest.mark.parametrize("body", HEATMAP_BODIES, ids=repr)
def test_heatmap_schema_and_validator_agree(body: dict) -> None:
    assert _accepts(parse_heatmap, body) == OAS30Validator(SCHEMAS["HeatmapRequest"]).is_valid(body)


def test_heatmap_query_parameters_are_the_body_schema() -> None:
    parameters = {p["name"]: p for p in DOCUMENT["paths"]["/v1/heatmap"]["get"]["parameters"]}
    body = SCHEMAS["HeatmapRequest"]
    assert {name: p["schema"] for name, p in parameters.items()} == body["properties"]
    assert parameters["beam_size"]["schema"]["maximum"] == SETTINGS.max_beam
    assert [name for name, p in parameters.items() if p["required"]] == body["required"]


def test_limits_in_the_document_follow_the_settings() -> None:
    translate = SCHEMAS["TranslateRequest"]["properties"]
    assert translate["text"]["maxLength"] == SETTINGS.max_text_chars
    assert translate["texts"]["maxItems"] == SETTINGS.max_texts
    assert translate["beam_size"]["maximum"] == SETTINGS.max_beam


@pytest.mark.parametrize("body", ALIGN_BODIES, ids=repr)
def test_align_schema_and_validator_agree(body: dict) -> None:
    assert _accepts(parse_align, body) == OAS30Validator(SCHEMAS["AlignRequest"]).is_valid(body)
