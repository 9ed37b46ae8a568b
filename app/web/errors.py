"""The one error shape of the JSON API: {"error": message, ...extra} with its status."""
from __future__ import annotations

from typing import Any, Iterable

from flask import Response, jsonify
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


def error_response(message: str, status: int, **extra: Any) -> tuple[Response, int]:
    """An API error answer: `{"error": message, **extra}` with the HTTP status."""
    return jsonify(error=message, **extra), status


def status_error(status: int, headers: Headers | Iterable[tuple[str, str]] = ()) -> Response:
    """An error known only by its status, in the API's shape (the status's name, lower case), keeping the headers a
    client needs (Allow of a 405, WWW-Authenticate of a 401, Retry-After of a 429 or 503)."""
    answer, _ = error_response(HTTP_STATUS_CODES.get(status, "error").lower(), status)
    answer.status_code = status
    headers = Headers(headers)
    for name in KEPT_HEADERS:
        if name in headers:
            answer.headers[name] = headers[name]
    return answer


def http_error(exc: HTTPException) -> Response:
    """An HTTP error raised inside an API view, answered in the API's shape."""
    return status_error(exc.code or 500, exc.get_headers())
