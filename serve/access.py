"""Who may call the API and how often: API keys, rate limits (flask-limiter) and request ids.

- Keys: ``api_keys_file`` holds one key per line (blank lines and ``#`` comments ignored). With keys, the
  translation endpoints (``PROTECTED``) answer 401 unless the request carries one in ``X-API-Key`` or
  ``Authorization: Bearer <key>``; health, metrics, the model description, the languages, the OpenAPI
  document and the page stay open (the page asks for a key when the server says it needs one).
- Limits: ``rate_limit`` (flask-limiter's syntax, ``60/minute;1000/hour``) on the same endpoints, counted per
  key, or per client address without keys (behind our nginx: the ``X-Forwarded-For`` it sets, since gunicorn
  then only sees a Unix socket); past it, 429 with ``Retry-After``.
- Request ids: every response carries ``X-Request-ID``: the client's (or nginx's) when it is a plain token
  of at most 64 characters, else a new random one; log lines of the request name it.
"""

from __future__ import annotations

import hmac
import logging
import re
import uuid
from collections.abc import Callable
from pathlib import Path

from flask import Flask, g, has_request_context, request
from flask_limiter import Limiter

from serve.schema import ApiError
from serve.settings import Settings, SettingsError

PROTECTED = ("/v1/translate", "/v1/align", "/v1/heatmap")
REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def load_keys(path: str) -> frozenset[str]:
    """The keys of a keys file; SettingsError when it is missing, unreadable, not UTF-8 or has none."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SettingsError(f"api_keys_file {path}: not UTF-8 text") from None
    except OSError as err:
        raise SettingsError(f"api_keys_file {path}: {err.strerror or err}") from None
    keys = {line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")}
    bad = [key for key in keys if any(char.isspace() for char in key)]
    if bad:
        raise SettingsError(f"api_keys_file {path}: a key may not contain whitespace ({len(bad)} line(s) do)")
    if not keys:
        raise SettingsError(f"api_keys_file {path}: holds no key")
    return frozenset(keys)


def presented_key() -> str | None:
    """The key a request carries (``X-API-Key``, or ``Authorization: Bearer``), or None."""
    key = request.headers.get("X-API-Key")
    if key is None:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        key = value.strip() if scheme.lower() == "bearer" else None
    return key or None


def client_address() -> str:
    """The client's address: ``X-Forwarded-For`` as our nginx sets it when the app sits on a Unix socket
    (no peer address of its own), else the peer address."""
    peer = request.remote_addr
    if not peer:
        return request.headers.get("X-Forwarded-For", "unknown").split(",")[0].strip() or "unknown"
    return peer


def rate_key() -> str:
    """What a rate limit counts by: the key when one is presented, else the client address."""
    key = presented_key()
    return f"key:{key}" if key else f"addr:{client_address()}"


def request_id() -> str:
    """This request's id (set by ``install``'s before-request hook)."""
    return g.get("request_id", "-")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every log record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id() if has_request_context() else "-"
        return True


def _check_key(keys: frozenset[str]) -> None:
    if request.path not in PROTECTED:
        return
    given = presented_key()
    if given is None:
        raise ApiError(401, "an API key is required: send it in the X-API-Key header")
    if not any(hmac.compare_digest(given.encode(), key.encode()) for key in keys):
        raise ApiError(401, "the API key is not valid")


def install(app: Flask, settings: Settings) -> Callable[[Callable], Callable]:
    """Request ids, the key check and the rate limiter on ``app``; returns the decorator that puts the
    rate limit on a view (identity when there is none)."""
    keys = load_keys(settings.api_keys_file) if settings.api_keys_file else frozenset()

    @app.before_request
    def _start() -> None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        if keys:
            _check_key(keys)

    @app.after_request
    def _tag(response):  # noqa: ANN001, ANN202 - Flask's Response
        response.headers[REQUEST_ID_HEADER] = request_id()
        return response

    app.config["API_KEYS_REQUIRED"] = bool(keys)
    if not settings.rate_limit:
        return lambda view: view
    limiter = Limiter(
        rate_key, app=app, storage_uri=settings.rate_limit_storage, headers_enabled=True, strategy="moving-window"
    )
    return limiter.limit(settings.rate_limit)
