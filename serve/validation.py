"""Parsing and validation of request bodies: every defect becomes an :class:`ApiError` with a 4xx status
and a message that says what is wrong."""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass
from typing import Any

from serve.settings import Settings

ALLOWED_CONTROLS = {"\t", "\n", "\r"}
TRANSLATE_FIELDS = {"text", "texts", "beam_size", "alignment", "word_alignment", "n_best"}
HEATMAP_FIELDS = {"text", "beam_size", "level"}


class ApiError(Exception):
    """An error answered as ``{"error": message}`` with HTTP ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class TranslateRequest:
    """A validated ``/v1/translate`` request."""

    texts: list[str]
    single: bool
    beam_size: int | None
    alignment: bool
    word_alignment: bool


@dataclass(frozen=True)
class HeatmapRequest:
    """A validated ``/v1/heatmap`` request."""

    text: str
    beam_size: int | None
    level: str


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
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ApiError(400, f"the request body is not valid UTF-8 (byte {err.start})") from None
    try:
        body = json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError, RecursionError) as err:
        raise ApiError(400, f"invalid JSON: {err}") from None
    if not isinstance(body, dict):
        raise ApiError(400, f"the JSON body must be an object, not {_type_name(body)}")
    return body


def _type_name(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    if isinstance(value, bool) or type(value) in names:
        return names[type(value)]
    return "a number" if isinstance(value, int | float) else type(value).__name__


def check_text(text: Any, name: str, settings: Settings) -> str:
    """A text must be a string within the length limit, free of control characters and lone surrogates."""
    if not isinstance(text, str):
        raise ApiError(400, f"'{name}' must be a string, not {_type_name(text)}")
    if len(text) > settings.max_text_chars:
        raise ApiError(400, f"'{name}' is {len(text)} characters long; the limit is {settings.max_text_chars}")
    for pos, char in enumerate(text):
        category = unicodedata.category(char)
        if category == "Cc" and char not in ALLOWED_CONTROLS:
            raise ApiError(400, f"'{name}' contains the control character U+{ord(char):04X} at position {pos}")
        if category == "Cs":
            raise ApiError(400, f"'{name}' contains an unpaired surrogate U+{ord(char):04X} at position {pos}")
    return text


def _check_fields(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(400, f"unknown field(s) {unknown}; allowed: {sorted(allowed)}")


def check_beam(value: Any, settings: Settings) -> int | None:
    """``beam_size``: absent/null for the default, else an integer in [1, max_beam]."""
    if value is None:
        return settings.default_beam or None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"'beam_size' must be an integer, not {_type_name(value)}")
    if not 1 <= value <= settings.max_beam:
        raise ApiError(400, f"'beam_size' must be between 1 and {settings.max_beam} (got {value})")
    return value


def _check_bool(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ApiError(400, f"'{name}' must be true or false, not {_type_name(value)}")
    return value


def _check_n_best(value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"'n_best' must be an integer, not {_type_name(value)}")
    if value < 1:
        raise ApiError(400, f"'n_best' must be >= 1 (got {value})")
    if value > 1:
        raise ApiError(400, "'n_best' > 1 is not supported yet: the decoder returns only the best translation")


def _texts(body: dict[str, Any], settings: Settings) -> tuple[list[str], bool]:
    """The input texts and whether the request used the single ``text`` form."""
    has_text, has_texts = "text" in body, "texts" in body
    if has_text == has_texts:
        raise ApiError(400, "send exactly one of 'text' (a string) or 'texts' (an array of strings)")
    if has_text:
        return [check_text(body["text"], "text", settings)], True
    texts = body["texts"]
    if not isinstance(texts, list):
        raise ApiError(400, f"'texts' must be an array of strings, not {_type_name(texts)}")
    if not texts:
        raise ApiError(400, "'texts' is empty; send at least one string")
    if len(texts) > settings.max_texts:
        raise ApiError(400, f"'texts' has {len(texts)} items; the limit is {settings.max_texts}")
    return [check_text(t, f"texts[{i}]", settings) for i, t in enumerate(texts)], False


def parse_translate(body: dict[str, Any], settings: Settings) -> TranslateRequest:
    """Validate a ``/v1/translate`` body."""
    _check_fields(body, TRANSLATE_FIELDS)
    texts, single = _texts(body, settings)
    beam = check_beam(body.get("beam_size"), settings)
    _check_n_best(body.get("n_best"))
    alignment = _check_bool(body, "alignment", True)
    word_alignment = _check_bool(body, "word_alignment", False)
    return TranslateRequest(texts, single, beam, alignment, word_alignment)


def parse_heatmap(body: dict[str, Any], settings: Settings) -> HeatmapRequest:
    """Validate a ``/v1/heatmap`` body or query (query values arrive as strings)."""
    _check_fields(body, HEATMAP_FIELDS)
    if "text" not in body:
        raise ApiError(400, "'text' is required")
    text = check_text(body["text"], "text", settings)
    if not text.strip():
        raise ApiError(400, "'text' is empty: there is no alignment to draw")
    beam = body.get("beam_size")
    if isinstance(beam, str):
        try:
            beam = int(beam)
        except ValueError:
            raise ApiError(400, f"'beam_size' must be an integer (got {beam!r})") from None
    level = body.get("level", "piece")
    if level not in ("piece", "word"):
        raise ApiError(400, f"'level' must be 'piece' or 'word' (got {level!r})")
    return HeatmapRequest(text, check_beam(beam, settings), level)
