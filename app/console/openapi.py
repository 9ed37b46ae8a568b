"""The OpenAPI 3 document of the JSON API, built with apispec from the views' YAML docstrings."""
from __future__ import annotations

from apispec import APISpec
from apispec_webframeworks.flask import FlaskPlugin
from flask import Blueprint, Flask, current_app, jsonify

bp = Blueprint("openapi", __name__, url_prefix="/api")
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}


def build_spec(app: Flask) -> dict:
    """Document every /api route whose view carries an OpenAPI docstring (after a `---` line)."""
    spec = APISpec(title="wecom-scrm API", version="1", openapi_version="3.0.3", plugins=[FlaskPlugin()],
                   info={"description": "JSON API of the SCRM console. Bearer tokens: SCRM_ADMIN_TOKEN (full access) "
                                        "or a user's own token from `scrm users token` (that user's role and contacts)."})
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", ERROR)
    spec.components.schema("Problems", {"type": "object", "properties": {
        "error": {"type": "string"}, "problems": {"type": "array", "items": {"type": "object", "properties": {
            "file": {"type": "string"}, "row": {"type": "integer", "nullable": True}, "field": {"type": "string"},
            "message": {"type": "string"}}}}}})
    spec.components.schema("Principal", {"type": "object", "properties": {
        "username": {"type": "string"}, "role": {"type": "string", "enum": ["admin", "marketer", "sales"]},
        "wecom_userid": {"type": "string", "nullable": True},
        "owners": {"type": "array", "items": {"type": "string"}, "nullable": True}}})
    for code, name, text in (("400", "BadRequest", "Bad parameters"), ("401", "Unauthorized", "No or invalid bearer token"),
                             ("403", "Forbidden", "The token's role does not allow this"),
                             ("404", "NotFound", "Not found, or not visible to the caller"),
                             ("413", "TooLarge", "Request body over the limit (app.request_guards)")):
        spec.components.response(name, {"description": text,
                                         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        view = app.view_functions[rule.endpoint]
        if rule.rule.startswith("/api/") and "\n    ---" in (view.__doc__ or ""):
            spec.path(view=view, app=app)
    document = spec.to_dict()
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            # app.request_guards answers any /api/ request with an unusable query or body 400, a large body 413
            operation["responses"].setdefault("400", {"$ref": "#/components/responses/BadRequest"})
            if "requestBody" in operation:
                operation["responses"].setdefault("413", {"$ref": "#/components/responses/TooLarge"})
    return document


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI document of this API.
    ---
    get:
      summary: This document
      tags: [meta]
      security: []
      responses:
        "200": {description: "OpenAPI 3 document", content: {application/json: {schema: {type: object}}}}
    """
    spec = current_app.extensions.get("openapi")
    if spec is None:
        spec = current_app.extensions["openapi"] = build_spec(current_app)
    return jsonify(spec)
