"""JSON API for content: versions and the preview of what will go out."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from app.auth import require_admin_token
from app.content_versions import active_version
from app.models import ContentVersion, utcnow
from app.preview import preview

bp = Blueprint("api_content", __name__, url_prefix="/api/content")


@bp.get("/versions")
@require_admin_token
def versions():
    """List content versions, newest first."""
    services = current_app.extensions["scrm"]
    with services.sessions() as session:
        rows = session.execute(select(ContentVersion).order_by(ContentVersion.id.desc())).scalars().all()
        return jsonify(versions=[{"id": v.id, "sha256": v.content_hash, "files": sorted(v.files), "loaded_by": v.loaded_by,
                                  "loaded_at": v.loaded_at.isoformat(), "active": v.active} for v in rows])


@bp.get("/preview")
@require_admin_token
def get_preview():
    """What would go out over the next `days` (1-60), optionally for one `contact`, and what the limits hold back."""
    from jobs.nurture import calendar_for

    days, contact = request.args.get("days", "14"), request.args.get("contact")
    if not days.isdigit() or not 1 <= int(days) <= 60 or (contact is not None and not contact.isdigit()):
        return jsonify(error="days must be 1-60 and contact an integer id"), 400
    services = current_app.extensions["scrm"]
    with services.sessions() as session:
        version = active_version(session)
        if version is None:
            return jsonify(error="no content version loaded"), 409
        version_id = version.id
        result = preview(session, services, calendar_for(services, version), version_id, int(days), utcnow(),
                         int(contact) if contact else None)
    return jsonify(version=version_id, days=[{"date": d.date, "sends": d.sends, "deferred": dict(d.deferred),
                                              "dropped": dict(d.dropped)} for d in result])
