"""The Flask application: JSON API under ``/v1``, metrics at ``/metrics``, the web page at ``/`` and JSON
errors everywhere.

``create_app(models, settings)`` builds one app around one or several loaded packages (a catalog with one
package per language pair); gunicorn workers each call it once after forking (see :mod:`serve.server`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, jsonify, request, send_from_directory
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from serve import metrics
from serve.access import install as install_access
from serve.access import request_id
from serve.catalog import Catalog, load_translators
from serve.json_provider import FastJSONProvider
from serve.openapi import openapi_document
from serve.requests import TranslateRequest, settle_heatmap, settle_translate
from serve.service import TranslationService
from serve.settings import Settings, load_settings
from serve.validation import ApiError, parse_align, parse_heatmap, parse_json_body, parse_translate, query_arguments
from translator.alignment.aligner import documents_links_both
from translator.document import DocumentTranslation, document_json
from translator.glossary import applied_json, glossary_translation, located_terms
from translator.markup import marked_translation
from translator.markup.place import WordLinks
from translator.translate import Translator

Models = Translator | str | Path | Sequence[Translator | str | Path]

STATIC = Path(__file__).parent / "static"
CATALOG_KEY = "translation_catalog"
CSP = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
log = logging.getLogger(__name__)


def _translators(models: Models, settings: Settings) -> list[Translator]:
    """Loaded translators from loaded ones, package paths (``os.pathsep``-joined allowed) or folders of
    packages."""
    items = [models] if isinstance(models, Translator | str | Path) else list(models)
    loaded = [item for item in items if isinstance(item, Translator)]
    paths = [p for item in items if not isinstance(item, Translator) for p in str(item).split(os.pathsep) if p]
    return loaded + (load_translators(paths, settings.translator_quantize, settings.device) if paths else [])


def _with_tags_and_terms(
    req: TranslateRequest, k: int, document: DocumentTranslation, word_links: WordLinks | None
) -> dict[str, Any]:
    """What text ``k``'s answer adds for markup and glossaries: the translation with its tags placed (by
    ``word_links`` when given, else by its own links) and (by alignment replacement) its terms put in, the plain
    texts, and where each term is; nothing for plain text."""
    constrained = req.constrained  # the terms are in already
    replaced = None if constrained else req.glossary
    extra: dict[str, Any] = {}
    if req.marked:
        text, applied = marked_translation(document, req.marked[k], req.link_rule, replaced, word_links)
        extra["plain_source"] = req.marked[k].text
    elif replaced is not None:
        text, applied = glossary_translation(document, replaced, req.link_rule)
    elif constrained:
        text = document.text
    else:
        return extra
    extra.update(translation=text, plain_translation=document.text)
    if req.glossary is not None:
        extra["glossary"] = applied_json(located_terms(document, req.glossary) if constrained else applied)
    return extra


def create_app(models: Models, settings: Settings | None = None) -> Flask:
    """Build the app around ``models``: loaded Translators, or package directories (or folders of them) to
    load now; one package per language pair."""
    settings = settings or load_settings()
    catalog = Catalog(_translators(models, settings), settings)
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.url_map.merge_slashes = False  # "/v1//health" is a 404, not a redirect built from the Host header
    app.json = FastJSONProvider(app)  # keys in insertion order, UTF-8 text
    app.extensions[CATALOG_KEY] = catalog
    _register_metrics(app)
    limited = install_access(app, settings)
    _register_translation(app, catalog, limited)
    _register_info(app, catalog)
    _register_errors(app, settings)
    app.after_request(_security_headers)
    return app


def catalog_of(app: Flask) -> Catalog:
    """The catalog an app was built around (tests use it to stop the batchers)."""
    return app.extensions[CATALOG_KEY]


def service_of(app: Flask, source: str | None = None, target: str | None = None) -> TranslationService:
    """The service of an app's only package, or of the pair named (tests use it to reach the batchers)."""
    return catalog_of(app).resolve(source, target)


def _register_metrics(app: Flask) -> None:
    """Count and time every request (endpoint = the route's rule, so unknown paths do not make new series)."""

    @app.before_request
    def _started() -> None:
        g.started = time.perf_counter()
        metrics.WORKER_IN_FLIGHT.inc()

    @app.after_request
    def _finished(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
        metrics.REQUESTS.labels(endpoint=endpoint, method=request.method, status=str(response.status_code)).inc()
        metrics.LATENCY.labels(endpoint=endpoint).observe(time.perf_counter() - g.get("started", time.perf_counter()))
        metrics.WORKER_REQUESTS.inc()
        return response

    @app.teardown_request
    def _done(_error: BaseException | None) -> None:
        if "started" in g:
            metrics.WORKER_IN_FLIGHT.dec()


def _json_body(limit: int) -> dict[str, Any]:
    """The request's JSON object. A chunked body (no Content-Length) is cut at ``limit`` by Werkzeug
    without an error, so reaching the limit counts as too large."""
    data = request.get_data(cache=False)
    if request.content_length is None and len(data) >= limit:
        raise ApiError(413, f"the request body is larger than the limit of {limit} bytes")
    return parse_json_body(data, request.headers.get("Content-Type"))


def _register_translation(app: Flask, catalog: Catalog, limited: Any) -> None:
    """Attach the routes that translate or align (``limited``: the rate limit's decorator)."""
    settings = catalog.settings

    @app.post("/v1/translate")
    @limited
    def translate() -> Response:
        body = parse_translate(_json_body(settings.max_body_bytes), settings)
        service = catalog.resolve(body.source, body.target)
        stored = catalog.stored_glossary(service, body.glossary_id) if body.glossary_id else None
        req = settle_translate(body, service.default_beam(), stored, catalog.has_reverse(service))
        documents = service.translate_texts(req)
        cells = settings.max_alignment_cells
        items = [document_json(d, req.alignment, req.word_alignment, cells, req.link_rule) for d in documents]
        reverse = catalog.reverse_of(service) if req.marked and req.both_directions else None
        boths = (
            documents_links_both(documents, service.translator, reverse.translator, req.both_directions)
            if reverse and req.both_directions
            else [None] * len(documents)
        )
        for k, (item, document, both) in enumerate(zip(items, documents, boths, strict=True)):
            item.update(_with_tags_and_terms(req, k, document, both))
        return jsonify(model=service.summary(), beam_size=req.decoding.beam_size, translations=items)

    @app.post("/v1/align")
    @limited
    def align() -> Response:
        req = parse_align(_json_body(settings.max_body_bytes), settings)
        service = catalog.resolve(req.source_lang, req.target_lang)
        return jsonify(service.align(req, catalog.reverse_of(service) if req.both_directions else None))

    @app.route("/v1/heatmap", methods=["GET", "POST"])
    @limited
    def heatmap() -> Response:
        if request.method == "POST":
            body = parse_heatmap(_json_body(settings.max_body_bytes), settings)
        else:
            body = parse_heatmap(query_arguments(request.query_string), settings, query=True)
        service = catalog.resolve(body.source, body.target)
        png = service.heatmap_png(settle_heatmap(body, service.default_beam()))
        return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


def _register_info(app: Flask, catalog: Catalog) -> None:
    """Attach the routes that describe the server: health, languages, models, the API document, metrics and the
    page."""
    settings = catalog.settings
    first = next(iter(catalog.services.values()))

    @app.get("/v1/health")
    def health() -> tuple[Response, int]:
        if catalog.ready:
            return jsonify(status="ready", model=first.summary(), pairs=len(catalog.pairs), load=catalog.load()), 200
        return jsonify(status="unavailable", error="the translation worker is not running"), 503

    @app.get("/v1/languages")
    def languages() -> Response:
        return jsonify(**catalog.languages(), api_key_required=app.config["API_KEYS_REQUIRED"])

    @app.get("/v1/model")
    def model_info() -> Response:
        """The package of the pair named by ?source=&target= (either may be left out when unambiguous)."""
        return jsonify(catalog.resolve(request.args.get("source"), request.args.get("target")).describe())

    @app.get("/v1/openapi.json")
    def openapi() -> Response:
        return jsonify(openapi_document(settings, catalog.pairs, catalog.glossary_names()))

    @app.get("/metrics")
    def metrics_page() -> Response:
        if not settings.metrics:
            raise ApiError(404, "metrics are turned off on this server")
        body, content_type = metrics.exposition()
        return Response(body, content_type=content_type)

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
        if err.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="translator"'
        return response, err.status

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> tuple[Response, int]:
        status = err.code or 500
        message = err.description or err.name
        if isinstance(err, RequestEntityTooLarge):
            message = f"the request body is larger than the limit of {settings.max_body_bytes} bytes"  # Content-Length
        elif status == 404:
            message = f"no such path: {request.path}"
        elif status == 429:
            message = f"too many requests: the limit is {err.description}; retry after the Retry-After seconds"
        elif isinstance(err, MethodNotAllowed):
            allowed = ", ".join(sorted(err.valid_methods or []))
            message = f"method {request.method} is not allowed on {request.path} (allowed: {allowed})"
        response = jsonify(error=message)
        if isinstance(err, MethodNotAllowed) and err.valid_methods:
            response.headers["Allow"] = ", ".join(err.valid_methods)
        return response, status

    @app.errorhandler(Exception)
    def unexpected(err: Exception) -> tuple[Response, int]:
        log.exception("unhandled error on %s %s (request %s)", request.method, request.path, request_id())
        return jsonify(error="internal server error"), 500


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Content-Security-Policy", CSP)
    return response
