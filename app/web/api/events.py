"""JSON API for the inbox: the events received from WeCom (/api/events)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from app.store.models import InboxEvent
from app.store.models.base import iso
from app.web.console.access import api_auth
from app.web.errors import error_response

bp = Blueprint("events", __name__)
MAX_LIMIT = 500


@bp.get("/events")
@api_auth("events")
def events():
    """List inbox events, newest first.
    ---
    get:
      summary: Inbox events (id, kind, change type, times, status, attempts), newest first; admin only
      tags: [events]
      security: [{bearerAuth: []}]
      parameters:
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500, default: 50}}
      responses:
        "200": {description: "Events", content: {application/json: {schema: {$ref: "#/components/schemas/Events"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
    """
    raw = request.args.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        return error_response(f"limit must be an integer from 1 to {MAX_LIMIT}", 400)
    services = current_app.extensions["scrm"]
    with services.sessions() as session:
        rows = session.execute(select(InboxEvent).order_by(InboxEvent.id.desc()).limit(int(raw))).scalars().all()
    return jsonify(
        events=[
            {
                "id": row.id,
                "kind": row.kind,
                "change_type": row.change_type,
                "wecom_create_time": row.wecom_create_time,
                "status": row.status,
                "attempts": row.attempts,
                "received_at": iso(row.received_at),
                "processed_at": iso(row.processed_at),
            }
            for row in rows
        ]
    )
