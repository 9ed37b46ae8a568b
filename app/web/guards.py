"""Guards every request passes: a body limit checked before any view reads the body, JSON API bodies that must be
objects, JSON (not HTML) error answers under /api/, integer URL ids that fit the database, and the client address
from trusted proxies' X-Forwarded-For (so per-IP limits such as /r/<token>'s count visitors, not the proxy)."""
from __future__ import annotations

import io
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from app.settings import Settings
from app.web.errors import status_error

UPLOAD_ENDPOINTS = frozenset({"api.content.upload_version", "console.content_upload"})
CALLBACK_ENDPOINT = "callback.receive"
BIGINT_MAX = 2**63 - 1


def body_limit(settings: Settings, endpoint: str | None) -> int:
    """The largest body an endpoint accepts: the callback's own limit, the upload limit, or the general one."""
    if endpoint == CALLBACK_ENDPOINT:
        return settings.callback_max_bytes
    if endpoint in UPLOAD_ENDPOINTS:
        return settings.upload_max_bytes
    return settings.request_max_bytes


class BigIntConverter(IntegerConverter):
    """`<int:…>` up to what a BIGINT id holds: /api/contacts/99999999999999999999 is a 404, not a database error."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", BIGINT_MAX)
        super().__init__(map, *args, **kwargs)


def install(app: Flask, settings: Settings) -> None:
    """Enforce body limits on every request (413 before reading), bound integer URL ids, answer API errors in JSON
    and trust `trusted_proxies` hops of X-Forwarded-For. Call before registering blueprints."""
    app.url_map.converters["int"] = BigIntConverter
    app.config["MAX_CONTENT_LENGTH"] = settings.request_max_bytes
    if settings.trusted_proxies:
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    @app.before_request
    def refuse_large_body() -> None:
        """Refuse a body over the endpoint's limit: by its Content-Length, or, for a chunked body, by reading it."""
        limit = body_limit(current_app.extensions["scrm"].settings, request.endpoint)
        request.max_content_length = limit
        if request.content_length is None and request.environ.get("wsgi.input_terminated"):
            _buffer_chunked_body(request.environ, limit)
        if request.content_length is not None and request.content_length > limit:
            raise RequestEntityTooLarge()

    @app.before_request
    def refuse_bad_query() -> Response | tuple[Response, int] | None:
        """Refuse, under /api/ and /console/, query values no view can use: a NUL character (PostgreSQL text cannot
        hold one) or a number beyond a BIGINT id, or in digits other than 0-9 (`²` passes str.isdigit)."""
        if not request.path.startswith(("/api/", "/console/")):
            return None
        problem = query_problem(request.args)
        if problem is None:
            return None
        if request.path.startswith("/api/"):
            return jsonify(error=problem), 400
        return Response(problem, status=400, mimetype="text/plain")

    @app.before_request
    def require_json_object() -> tuple[Response, int] | None:
        """Refuse a JSON API body that is not an object, is nested too deeply to parse, or holds a NUL character."""
        if request.path.startswith("/api/") and request.is_json and request.content_length:
            try:
                body = request.get_json(silent=True)
            except RecursionError:
                return jsonify(error="the request body is nested too deeply"), 400
            if body is not None and not isinstance(body, dict):
                return jsonify(error="the request body must be a JSON object"), 400
            if body is not None and _holds_nul(body):
                return jsonify(error="the request body holds a NUL character"), 400
        return None

    @app.after_request
    def api_errors_in_json(response: Response) -> Response:
        """Turn an HTML error page under /api/ (an unknown URL such as /api/contacts/abc, a wrong method) into JSON."""
        if request.path.startswith("/api/") and response.status_code >= 400 and response.mimetype == "text/html":
            return status_error(response.status_code, response.headers)
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_exc: RequestEntityTooLarge) -> Response | tuple[Response, int]:
        """Answer 413 in the endpoint's language: JSON for the API, a short Chinese text elsewhere."""
        limit = body_limit(current_app.extensions["scrm"].settings, request.endpoint)
        if request.path.startswith("/api/"):
            return jsonify(error="request body too large", limit_bytes=limit), 413
        return Response(f"请求内容太大（上限 {limit} 字节）", status=413, mimetype="text/plain")


def _buffer_chunked_body(environ: dict, limit: int) -> None:
    """Read a body sent without Content-Length (at most limit + 1 bytes) so it is refused whole, never truncated."""
    data = environ["wsgi.input"].read(limit + 1)
    if len(data) > limit:
        raise RequestEntityTooLarge()
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(data), str(len(data))


def query_problem(args: Any) -> str | None:
    """What is wrong with a query string's values for the API and console, or None."""
    for name, value in args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            return f"query parameter {name!r} holds a NUL character"
        if value.isdigit():
            digits = value.lstrip("0")
            if not value.isascii() or len(digits) > len(str(BIGINT_MAX)) or (
                    len(digits) == len(str(BIGINT_MAX)) and digits > str(BIGINT_MAX)):
                return f"query parameter {name!r} is not a number from 0 to {BIGINT_MAX}"
    return None


def _holds_nul(body: Any) -> bool:
    """Whether any key or string in a parsed JSON document holds a NUL character (walked without recursion)."""
    pending = [body]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
