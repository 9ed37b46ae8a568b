"""Bearer-token check for the JSON API."""
from __future__ import annotations

import hmac
from functools import wraps
from typing import Callable

from flask import current_app, jsonify, request


def require_admin_token(view: Callable) -> Callable:
    """Refuse the request with 401 unless it carries `Authorization: Bearer <SCRM_ADMIN_TOKEN>`."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        expected = current_app.extensions["scrm"].settings.scrm_admin_token
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if not expected or scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
            return jsonify(error="unauthorized"), 401, {"WWW-Authenticate": "Bearer"}
        return view(*args, **kwargs)

    return wrapper
