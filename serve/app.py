"""The Flask application: JSON API under ``/v1``, the web page at ``/`` and JSON errors everywhere.

``create_app(translator_or_model_dir, settings)`` builds one app around one loaded model; gunicorn
workers each call it once after forking (see :mod:`serve.server`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request, send_from_directory
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from serve.openapi import openapi_document
from serve.service import TranslationService
from serve.settings import Settings, load_settings
from serve.validation import ApiError, parse_align, parse_heatmap, parse_json_body, parse_translate, query_arguments
from translator.alignment import translation_json
from translator.translate import Translator

STATIC = Path(__file__).parent / "static"
SERVICE_KEY = "translation_service"
CSP = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
log = logging.getLogger(__name__)


def create_app(model: Translator | str | Path, settings: Settings | None = None) -> Flask:
    """Build the app around ``model`` (a loaded Translator, or a package directory to load now)."""
    settings = settings or load_settings()
    translator = (
        model if isinstance(model, Translator) else Translator.load(model, quantize=settings.translator_quantize)
    )
    service = TranslationService(translator, settings)
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.url_map.merge_slashes = False  # "/v1//health" is a 404, not a redirect built from the Host header
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions[SERVICE_KEY] = service
    _register_api(app, service)
    _register_errors(app, settings)
    app.after_request(_security_headers)
    return app


def service_of(app: Flask) -> TranslationService:
    """The service an app was built around (tests use it to stop the batcher)."""
    return app.extensions[SERVICE_KEY]


def _json_body(limit: int) -> dict[str, Any]:
    """The request's JSON object. A chunked body (no Content-Length) is cut at ``limit`` by Werkzeug
    without an error, so reaching the limit counts as too large."""
    data = request.get_data(cache=False)
    if request.content_length is None and len(data) >= limit:
        raise ApiError(413, f"the request body is larger than the limit of {limit} bytes")
    return parse_json_body(data, request.headers.get("Content-Type"))


def _register_api(app: Flask, service: TranslationService) -> None:
    """Attach the routes."""
    settings = service.settings

    @app.post("/v1/translate")
    def translate() -> Response:
        req = parse_translate(_json_body(settings.max_body_bytes), settings)
        results = service.translate(req.texts, req.beam_size)
        items = [translation_json(r, req.alignment, req.word_alignment) for r in results]
        beam = req.beam_size or service.default_beam()
        return jsonify(model=service.summary(), beam_size=beam, translations=items)

    @app.post("/v1/align")
    def align() -> Response:
        return jsonify(service.align(parse_align(_json_body(settings.max_body_bytes), settings)))

    @app.route("/v1/heatmap", methods=["GET", "POST"])
    def heatmap() -> Response:
        if request.method == "POST":
            heatmap_request = parse_heatmap(_json_body(settings.max_body_bytes), settings)
        else:
            heatmap_request = parse_heatmap(query_arguments(request.query_string), settings, query=True)
        png = service.heatmap_png(heatmap_request)
        return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})

    @app.get("/v1/health")
    def health() -> tuple[Response, int]:
        if service.ready:
            return jsonify(status="ready", model=service.summary(), load=service.load()), 200
        return jsonify(status="unavailable", error="the translation worker is not running"), 503

    @app.get("/v1/model")
    def model_info() -> Response:
        return jsonify(service.describe())

    @app.get("/v1/openapi.json")
    def openapi() -> Response:
        return jsonify(openapi_document(settings, service.summary()))

    @app.get("/")
    def index() -> Response:
        return send_from_directory(STATIC, "index.html", max_age=0)


def _register_errors(app: Flask, settings: Settings) -> None:
    """Every error is JSON ``{"error": ...}``; unexpected ones are logged, never shown."""

    @app.errorhandler(ApiError)
    def api_error(err: ApiError) -> tuple[Response, int]:
        response = jsonify(error=err.message)
        if err.status == 503:
            response.headers["Retry-After"] = "1"
        return response, err.status

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> tuple[Response, int]:
        status = err.code or 500
        message = err.description or err.name
        if isinstance(err, RequestEntityTooLarge):
            message = f"the request body is larger than the limit of {settings.max_body_bytes} bytes"  # Content-Length
        elif status == 404:
            message = f"no such path: {request.path}"
        elif isinstance(err, MethodNotAllowed):
            allowed = ", ".join(sorted(err.valid_methods or []))
            message = f"method {request.method} is not allowed on {request.path} (allowed: {allowed})"
        response = jsonify(error=message)
        if isinstance(err, MethodNotAllowed) and err.valid_methods:
            response.headers["Allow"] = ", ".join(err.valid_methods)
        return response, status

    @app.errorhandler(Exception)
    def unexpected(err: Exception) -> tuple[Response, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return jsonify(error="internal server error"), 500


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Content-Security-Policy", CSP)
    return response
