"""Parsing and validation of request bodies against the declared schema (``serve.schema``): every
defect becomes an :class:`ApiError` with a 4xx status and a message that says what is wrong. A parsed body
keeps what the client sent; ``serve.requests`` fills in the defaults once the answering package is known."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

from serve.checker import check_object, type_name
from serve.schema import ApiError, align_schema, heatmap_schema, translate_schema
from serve.settings import Settings
from translator.alignment.aligner import AlignMethod
from translator.alignment.links import DEFAULT_LINK_RULE
from translator.glossary import GLOSSARY_METHODS
from translator.markup import TagOptions, default_link_rule

__all__ = [
    "AlignRequest",
    "ApiError",
    "HeatmapBody",
    "TranslateBody",
    "parse_align",
    "parse_heatmap",
    "parse_json_body",
    "parse_translate",
    "query_arguments",
]


@dataclass(frozen=True)
class TranslateBody:
    """A valid ``/v1/translate`` body as sent: ``beam_size`` and ``n_best`` are None when left out."""

    texts: list[str]
    single: bool
    source: str | None
    target: str | None
    beam_size: int | None
    n_best: int | None
    split: bool
    alignment: bool
    word_alignment: bool
    link_rule: str = DEFAULT_LINK_RULE
    format: str = "text"
    tags: TagOptions = TagOptions()
    glossary: tuple[tuple[str, str], ...] = ()
    glossary_id: str | None = None
    glossary_method: str = GLOSSARY_METHODS[0]
    symmetrise: str | None = None  # markup: tags placed by both directions' links, combined so


@dataclass(frozen=True)
class HeatmapBody:
    """A valid ``/v1/heatmap`` body (or query) as sent: ``beam_size`` is None when left out."""

    text: str
    source: str | None
    target: str | None
    beam_size: int | None
    level: str


@dataclass(frozen=True)
class AlignRequest:
    """A validated ``/v1/align`` request: one pair and the link extraction method."""

    source: str
    target: str
    source_lang: str | None
    target_lang: str | None
    method: AlignMethod
    both_directions: bool = False  # combine with the reverse pair's package by method.symmetrise


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_body(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """Decode a request body that must be a UTF-8 JSON object sent as ``application/json``."""
    mimetype = (content_type or "").split(";", 1)[0].strip().lower()
    if mimetype != "application/json":
        shown = mimetype or "none"
        raise ApiError(415, f"Content-Type must be application/json (got {shown})")
    if not raw.strip():
        raise ApiError(400, 'the request body is empty; send a JSON object such as {"text": "..."}')
    try:
        text = raw.decode("utf-8-sig")  # a leading byte-order mark is allowed (RFC 8259 lets parsers ignore it)
    except UnicodeDecodeError as err:
        raise ApiError(400, f"the request body is not valid UTF-8 (byte {err.start})") from None
    try:
        body = json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError, RecursionError) as err:
        raise ApiError(400, f"invalid JSON: {err}") from None
    if not isinstance(body, dict):
        raise ApiError(400, f"the JSON body must be an object, not {type_name(body)}")
    return body


def parse_translate(body: dict[str, Any], settings: Settings) -> TranslateBody:
    """Validate a ``/v1/translate`` body."""
    fields = check_object(body, translate_schema(settings))
    single = fields["text"] is not None
    texts = [fields["text"]] if single else fields["texts"]
    total = sum(len(text) for text in texts)
    if total > settings.max_request_chars:
        raise ApiError(400, f"the texts hold {total} characters; the limit per request is {settings.max_request_chars}")
    return TranslateBody(
        texts,
        single,
        fields["source"],
        fields["target"],
        fields["beam_size"],
        fields["n_best"],
        fields["split"],
        fields["alignment"],
        fields["word_alignment"],
        _link_rule(body, fields),
        fields["format"],
        _tag_options(fields),
        tuple((entry["source"], entry["target"]) for entry in fields["glossary"]),
        fields["glossary_id"],
        fields["glossary_method"],
        fields["symmetrise"],
    )


def _link_rule(body: dict[str, Any], fields: dict[str, Any]) -> str:
    """The request's link rule; left out: the format's (``translator.markup.default_link_rule``)."""
    return fields["link_rule"] if body.get("link_rule") is not None else default_link_rule(fields["format"])


def _tag_options(fields: dict[str, Any]) -> TagOptions:
    """The tag options of a translate body: HTML's names in lower case (as its parser reads them), XML's as given."""
    fold = (lambda name: name) if fields["format"] == "xml" else str.lower
    return TagOptions(
        *(tuple(fold(name) for name in fields[key]) for key in ("ignore_tags", "non_splitting_tags", "splitting_tags"))
    )


def query_arguments(query_string: bytes) -> dict[str, str]:
    """The query parameters of a URL, percent-decoded as UTF-8: invalid UTF-8 is a 400 (Werkzeug would
    replace it silently), and so is a parameter given twice."""
    values: dict[str, str] = {}
    pairs = urllib.parse.parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    for name, value in pairs:
        try:
            name, value = (s.encode("latin-1").decode("utf-8") for s in (name, value))
        except UnicodeDecodeError:
            raise ApiError(400, "the query string is not valid UTF-8 after percent-decoding") from None
        if name in values:
            raise ApiError(400, f"'{name}' is given more than once")
        values[name] = value
    return values


def _from_query(args: dict[str, str], schema: dict[str, Any]) -> dict[str, Any]:
    """Query-string values are strings: convert those of integer fields (a non-integer is a 400)."""
    values: dict[str, Any] = dict(args)
    for name, value in args.items():
        if schema["properties"].get(name, {}).get("type") == "integer":
            try:
                values[name] = int(value)
            except ValueError:
                raise ApiError(400, f"'{name}' must be an integer (got {value[:20]!r})") from None
    return values


def parse_heatmap(body: dict[str, Any], settings: Settings, query: bool = False) -> HeatmapBody:
    """Validate a ``/v1/heatmap`` body, or its query parameters (``query``: values arrive as strings)."""
    schema = heatmap_schema(settings)
    fields = check_object(_from_query(body, schema) if query else body, schema)
    return HeatmapBody(fields["text"], fields["source"], fields["target"], fields["beam_size"], fields["level"])


def parse_align(body: dict[str, Any], settings: Settings) -> AlignRequest:
    """Validate a ``/v1/align`` body."""
    fields = check_object(body, align_schema(settings))
    symmetrise = fields["symmetrise"] or AlignMethod.symmetrise
    method = AlignMethod(fields["rule"], float(fields["threshold"]), fields["shift"], symmetrise)
    langs = fields["source_lang"], fields["target_lang"]
    return AlignRequest(fields["source"], fields["target"], *langs, method, fields["symmetrise"] is not None)
