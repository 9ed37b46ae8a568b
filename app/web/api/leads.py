"""JSON API for hot leads: the queue sales works from, and "contacted"."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import select

from app.store.models import LeadAlert
from app.store.models.base import iso
from app.web.console.access import api_auth
from app.web.console.leads import ack_alert, lead_alerts
from app.web.console.scope import visible_alerts
from app.web.errors import error_response

bp = Blueprint("leads", __name__, url_prefix="/leads")


def alert_json(alert: LeadAlert) -> dict:
    """An alert with its explanation and whether sales picked it up."""
    return {"id": alert.id, "contact_id": alert.contact_id, "owner": alert.owner_userid, "intent": alert.intent,
            "trigger": alert.trigger, "explanation": alert.explanation, "summary": alert.summary,
            "message_at": iso(alert.message_at), "created_at": iso(alert.created_at), "acked_at": iso(alert.acked_at),
            "acked_by": alert.acked_by, "escalated_at": iso(alert.escalated_at)}


@bp.get("")
@api_auth("leads")
def list_leads():
    """Hot-lead alerts, newest first; `?open=1` for those nobody has marked contacted.
    ---
    get:
      summary: Hot-lead alerts the caller may see, with their explanation, newest first
      tags: [leads]
      security: [{bearerAuth: []}]
      parameters:
        - name: open
          in: query
          schema: {type: integer, enum: [0, 1]}
          description: "1 = only those nobody marked contacted"
      responses:
        "200": {description: "Alerts", content: {application/json: {schema: {$ref: "#/components/schemas/LeadAlerts"}}}}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
    """
    services = current_app.extensions["scrm"]
    with services.sessions() as session:
        alerts = lead_alerts(session, g.principal, request.args.get("open") == "1")
        return jsonify(leads=[alert_json(a) for a in alerts])


@bp.post("/<int:alert_id>/ack")
@api_auth("act")
def ack(alert_id: int):
    """Mark a hot lead as contacted: {"by": userid}; a second ack keeps the first.
    ---
    post:
      summary: Mark a hot lead contacted (a user token acts as its user; the admin token names `by`)
      tags: [leads]
      security: [{bearerAuth: []}]
      parameters:
        - {name: alert_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: false
        content: {application/json: {schema: {type: object, properties: {by: {type: string}}}}}
      responses:
        "200":
          description: "The alert"
          content: {application/json: {schema: {$ref: "#/components/schemas/LeadAlert"}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    by = g.principal.acting_as((request.get_json(silent=True) or {}).get("by"))
    if not by:
        return error_response("'by' (who contacted the lead) is required", 400)
    services = current_app.extensions["scrm"]
    with services.sessions() as session:
        query = visible_alerts(select(LeadAlert).where(LeadAlert.id == alert_id), g.principal)
        alert = session.execute(query).scalar_one_or_none()
        if alert is None:
            return error_response("no such lead alert", 404)
        if ack_alert(session, alert, by):
            session.commit()
        return jsonify(alert_json(alert))
