"""A request value checked against the API's declared schema (``serve.schema``): the subset of JSON Schema /
OpenAPI 3.0 the API declares (types, nullable, string length and pattern, enums, number and integer ranges,
array sizes, objects with required and unknown fields, one-of alternatives); every failure is an ``ApiError``
400 that names the field."""

from __future__ import annotations

import re
from typing import Any

from serve.schema import FORBIDDEN, NONBLANK_PATTERN, SURROGATE, TEXT_PATTERN, ApiError

TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "an array",
    "object": "an object",
}


def type_name(value: Any) -> str:
    """How an error message names the JSON type of ``value`` ("an object", "a number", ...)."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    if isinstance(value, bool) or type(value) in names:
        return names[type(value)]
    return "a number" if isinstance(value, int | float) else type(value).__name__


def _has_type(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, {"string": str, "boolean": bool, "array": list, "object": dict}[kind])


def _pattern_message(name: str, value: str, schema: dict[str, Any]) -> str:
    """Why ``value`` fails ``schema["pattern"]``: for the text patterns, the first forbidden character, else
    blankness; for the others (codes, names), the pattern itself."""
    if schema["pattern"] not in (TEXT_PATTERN, NONBLANK_PATTERN):
        return f"'{name}' must match {schema['pattern']} (got {value[:40]!r})"
    bad = re.search(f"[{FORBIDDEN}]", value)
    if bad is None:
        return f"'{name}' is empty: send some text"
    return f"'{name}' contains the control character U+{ord(bad.group()):04X} at position {bad.start()}"


def _check_string(name: str, value: str, schema: dict[str, Any]) -> None:
    limit = schema.get("maxLength")
    if limit is not None and len(value) > limit:
        raise ApiError(400, f"'{name}' is {len(value)} characters long; the limit is {limit}")
    if (lone := SURROGATE.search(value)) is not None:
        raise ApiError(
            400, f"'{name}' contains an unpaired surrogate U+{ord(lone.group()):04X} at position {lone.start()}"
        )
    if "pattern" in schema and not re.search(schema["pattern"], value):
        raise ApiError(400, _pattern_message(name, value, schema))
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(repr(v) for v in schema["enum"] if v is not None)
        raise ApiError(400, f"'{name}' must be one of {allowed} (got {value!r})")


def _check_number(name: str, value: float, schema: dict[str, Any]) -> None:
    low, high = schema.get("minimum"), schema.get("maximum")
    too_low = low is not None and (value <= low if schema.get("exclusiveMinimum") else value < low)
    if too_low or (high is not None and value > high):
        opening = "above" if schema.get("exclusiveMinimum") else "at least"
        raise ApiError(400, f"'{name}' must be {opening} {low:g} and at most {high:g} (got {value:.6g})")


def _check_integer(name: str, value: int, schema: dict[str, Any]) -> None:
    low, high = schema.get("minimum"), schema.get("maximum")
    if (low is not None and value < low) or (high is not None and value > high):
        shown = value if abs(value) < 10**12 else f"a {len(str(abs(value)))}-digit number"
        note = f"; {schema['x-note']}" if "x-note" in schema else ""
        raise ApiError(400, f"'{name}' must be between {low} and {high} (got {shown}){note}")


def _check_array(name: str, value: list[Any], schema: dict[str, Any]) -> None:
    if not value and schema.get("minItems", 0) > 0:
        raise ApiError(400, f"'{name}' is empty; send at least {schema['minItems']} item(s)")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        raise ApiError(400, f"'{name}' has {len(value)} items; the limit is {schema['maxItems']}")
    for i, item in enumerate(value):
        check_value(f"{name}[{i}]", item, schema["items"])


def check_value(name: str, value: Any, schema: dict[str, Any]) -> Any:
    """Check one value against its schema; returns it unchanged."""
    if value is None and schema.get("nullable"):
        return None
    kind = schema["type"]
    if not _has_type(value, kind):
        raise ApiError(400, f"'{name}' must be {TYPE_NAMES[kind]}, not {type_name(value)}")
    checks = {
        "string": _check_string,
        "integer": _check_integer,
        "number": _check_number,
        "array": _check_array,
        "object": lambda _name, item, item_schema: check_object(item, item_schema),
    }
    if kind in checks:
        checks[kind](name, value, schema)
    return value


def check_object(body: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Check a request object; returns every declared field, absent ones as their ``default`` (or None)."""
    properties = schema["properties"]
    if schema.get("additionalProperties") is False:
        unknown = sorted(set(body) - set(properties))
        if unknown:
            raise ApiError(400, f"unknown field(s) {unknown}; allowed: {sorted(properties)}")
    for name in schema.get("required", []):
        if name not in body:
            raise ApiError(400, f"'{name}' is required")
    alternatives = [alt["required"][0] for alt in schema.get("oneOf", [])]
    if alternatives and sum(name in body for name in alternatives) != 1:
        raise ApiError(400, f"send exactly one of {' or '.join(repr(n) for n in alternatives)}")
    return {
        name: check_value(name, body[name], prop) if name in body else prop.get("default")
        for name, prop in properties.items()
    }
