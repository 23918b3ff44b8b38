"""Flask's JSON responses encoded with orjson.

Under load a worker's request threads and its decoders share one interpreter lock, so every millisecond a
request holds it is taken from decoding. The standard library's encoder held it for about a quarter of a
millisecond per one-sentence answer (mostly the floats of the alignment matrices); orjson writes the same
JSON about thirty times faster. Its output parses to the same values: keys in insertion order, text as
UTF-8 (not ``\\u`` escapes), floats in their shortest round-trip form (``1e-05`` is written ``1e-5``), and a
non-finite float as ``null`` where the standard library wrote the invalid ``NaN``. Dates, dataclasses and
other types go through Flask's own conversion as before. Requests are still parsed by the standard library.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

_OPTIONS = (
    orjson.OPT_APPEND_NEWLINE
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


class FastJSONProvider(DefaultJSONProvider):
    """``jsonify`` through orjson; with ``ensure_ascii`` (which orjson cannot do) as Flask does it."""

    ensure_ascii = False
    sort_keys = False

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """The JSON response of ``jsonify(*args, **kwargs)``; indented in debug mode or when not compact."""
        if self.ensure_ascii:
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        options = _OPTIONS
        if self.sort_keys:
            options |= orjson.OPT_SORT_KEYS
        if (self.compact is None and self._app.debug) or self.compact is False:
            options |= orjson.OPT_INDENT_2
        return self._app.response_class(orjson.dumps(obj, default=self.default, option=options), mimetype=self.mimetype)


__all__ = ["FastJSONProvider"]
