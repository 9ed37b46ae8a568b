"""JSON API for content versions: list, upload, activate, compare, and the preview of what will go out."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import select

from app.store.content_versions import active_version
from app.store.models import ContentVersion, utcnow
from app.web.console.access import api_auth
from app.web.console.content_upload import (
    Upload,
    activate_version,
    compare_versions,
    list_versions,
    problem_json,
    store_upload,
    version_json,
)
from app.web.errors import error_response
from content.errors import ContentError
from jobs.nurture.preview import preview

bp = Blueprint("content", __name__, url_prefix="/content")


@bp.get("/versions")
@api_auth("content")
def versions():
    """List content versions, newest first.
    ---
    get:
      summary: Content versions (hash, files, who loaded them, when, which is active), newest first
      tags: [content]
      security: [{bearerAuth: []}]
      responses:
        "200":
          description: "Versions"
          content: {application/json: {schema: {$ref: "#/components/schemas/ContentVersions"}}}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
    """
    services = current_app.extensions["scrm"]
    with services.sessions() as session:
        rows = session.execute(select(ContentVersion).order_by(ContentVersion.id.desc())).scalars().all()
        return jsonify(versions=[version_json(v) for v in rows])


@bp.post("/versions")
@api_auth("content")
def upload_version():
    """Upload calendar files as a new version.
    ---
    post:
      summary: Validate calendar files (YAML, CSV, Excel) and store them as a version; activate=1 to make it active
      tags: [content]
      security: [{bearerAuth: []}]
      parameters:
        - {name: activate, in: query, schema: {type: integer, enum: [0, 1], default: 0}}
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema: {type: object, properties: {files: {type: array, items: {type: string, format: binary}}}}
      responses:
        "201":
          description: "Stored (or an identical earlier version reused)"
          content: {application/json: {schema: {$ref: "#/components/schemas/StoredVersion"}}}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "422":
          description: "Every problem with file, row and field; nothing stored"
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Problems"}
    """
    uploads = [Upload(f.filename or "", f.read()) for f in request.files.getlist("files")]
    services = current_app.extensions["scrm"]
    with services.sessions() as session:
        try:
            stored = store_upload(session, services, uploads, g.principal.actor, request.args.get("activate") == "1")
        except ContentError as err:
            return error_response("invalid content", 422, problems=[problem_json(p) for p in err.problems])
        session.commit()
        steps = sum(len(seq.steps) for seq in stored.calendar.sequences)
        return jsonify(id=stored.id, sha256=stored.content_hash, created=stored.created, steps=steps,
                       moments=len(stored.calendar.moments)), 201


@bp.post("/versions/<int:version_id>/activate")
@api_auth("content")
def activate(version_id: int):
    """Make a version the active one.
    ---
    post:
      summary: Activate a stored content version (enrolled contacts keep their place)
      tags: [content]
      security: [{bearerAuth: []}]
      parameters:
        - {name: version_id, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: "The versions after activation"
          content: {application/json: {schema: {$ref: "#/components/schemas/ContentVersions"}}}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    services = current_app.extensions["scrm"]
    with services.sessions() as session:
        try:
            activate_version(session, version_id)
        except LookupError as err:
            return error_response(str(err), 404)
        session.commit()
        return jsonify(versions=[version_json(v) for v in list_versions(session)])


@bp.get("/diff")
@api_auth("content")
def compare():
    """Compare two versions.
    ---
    get:
      summary: What changed between two content versions, step by step
      tags: [content]
      security: [{bearerAuth: []}]
      parameters:
        - {name: from, in: query, required: true, schema: {type: integer}}
        - {name: to, in: query, required: true, schema: {type: integer}}
      responses:
        "200":
          description: "Change lines"
          content: {application/json: {schema: {$ref: "#/components/schemas/VersionDiff"}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    old, new = request.args.get("from", ""), request.args.get("to", "")
    if not old.isdigit() or not new.isdigit():
        return error_response("from and to must be version ids", 400)
    services = current_app.extensions["scrm"]
    with services.sessions() as session:
        try:
            changes = compare_versions(session, services, int(old), int(new))
        except LookupError as err:
            return error_response(str(err), 404)
    return jsonify(changes=changes)


@bp.get("/preview")
@api_auth("content")
def get_preview():
    """What would go out over the next `days` (1-60), optionally for one `contact`, and what the limits hold back.
    ---
    get:
      summary: The active version's preview, day by day (sends, and what the limits defer or drop, and why)
      tags: [content]
      security: [{bearerAuth: []}]
      parameters:
        - {name: days, in: query, schema: {type: integer, minimum: 1, maximum: 60, default: 14}}
        - {name: contact, in: query, schema: {type: integer}}
        - name: version
          in: query
          schema: {type: integer}
          description: "preview a stored version instead of the active one"
      responses:
        "200":
          description: "The preview"
          content: {application/json: {schema: {$ref: "#/components/schemas/Preview"}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409":
          description: "No content version loaded"
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Error"}
    """
    from jobs.nurture.sends import calendar_for

    days, contact, wanted = request.args.get("days", "14"), request.args.get("contact"), request.args.get("version")
    if (not days.isdigit() or not 1 <= int(days) <= 60
            or any(v is not None and not v.isdigit() for v in (contact, wanted))):
        return error_response("days must be 1-60, contact and version integer ids", 400)
    services = current_app.extensions["scrm"]
    with services.sessions() as session:
        version = session.get(ContentVersion, int(wanted)) if wanted else active_version(session)
        if version is None:
            if wanted:
                return error_response(f"no content version {wanted}", 404)
            return error_response("no content version loaded", 409)
        version_id = version.id
        result = preview(session, services, calendar_for(services, version), version_id, int(days), utcnow(),
                         int(contact) if contact else None)
    return jsonify(version=version_id, days=[{"date": d.date, "sends": d.sends, "deferred": dict(d.deferred),
                                              "dropped": dict(d.dropped)} for d in result])
