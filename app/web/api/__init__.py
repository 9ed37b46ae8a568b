"""The JSON API under /api: one parent blueprint with a nested blueprint per resource, and one error shape.

Endpoints are named `api.<resource>.<view>` (for example `api.contacts.set_stage`). Every error a resource
answers goes through `app.web.errors.error_response`; HTTP errors raised inside a view are answered in the same
shape by the parent's handler. /api/openapi.json lives with the console (app.web.console.openapi), which
documents these views.
"""
from __future__ import annotations

from flask import Blueprint
from werkzeug.exceptions import HTTPException

from app.web.api import console, contacts, content, events, leads
from app.web.errors import http_error

bp = Blueprint("api", __name__, url_prefix="/api")
bp.register_error_handler(HTTPException, http_error)
for resource in (events, console, contacts, content, leads):
    bp.register_blueprint(resource.bp)
