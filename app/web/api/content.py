"""JSON API for content: versions and the preview of what will go out."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from app.store.content_versions import active_version
from app.store.models import ContentVersion, utcnow
from app.web.console.access import api_auth
from app.web.console.content_upload import version_json
from jobs.nurture.preview import preview

bp = Blueprint("api_content", __name__, url_prefix="/api/content")


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
        return jsonify(error="days must be 1-60, contact and version integer ids"), 400
    services = current_app.extensions["scrm"]
    with services.sessions() as session:
        version = session.get(ContentVersion, int(wanted)) if wanted else active_version(session)
        if version is None:
            if wanted:
                return jsonify(error=f"no content version {wanted}"), 404
            return jsonify(error="no content version loaded"), 409
        version_id = version.id
        result = preview(session, services, calendar_for(services, version), version_id, int(days), utcnow(),
                         int(contact) if contact else None)
    return jsonify(version=version_id, days=[{"date": d.date, "sends": d.sends, "deferred": dict(d.deferred),
                                              "dropped": dict(d.dropped)} for d in result])
