"""JSON API for contacts: the contact with its timeline, stages set by hand, milestones set by sales."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from app.services import Services
from app.store.book import SessionBook
from app.store.contact_json import contact_json
from app.store.models import utcnow
from app.web.console.access import api_auth
from app.web.console.actions import apply_change
from app.web.console.scope import get_contact as visible_contact
from app.web.errors import error_response
from bots.journey import apply_signals, set_stage_by_hand
from bots.stage_rules import Signal

bp = Blueprint("contacts", __name__)
SALES_SIGNALS = ("signed",)


@bp.get("/contacts/<int:contact_id>")
@api_auth("contacts")
def get_contact(contact_id: int):
    """Return one contact with its timeline.
    ---
    get:
      summary: A contact (channel, owner, stage, lead status, relations) with its full timeline
      tags: [contacts]
      security: [{bearerAuth: []}]
      parameters:
        - {name: contact_id, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: "The contact"
          content: {application/json: {schema: {$ref: "#/components/schemas/Contact"}}}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    services = current_app.extensions["scrm"]
    with services.sessions() as session:
        contact = visible_contact(session, g.principal, contact_id)
        if contact is None:
            return error_response("no such contact", 404)
        return jsonify(contact_json(session, contact, services.content.journey))


@bp.post("/contacts/<int:contact_id>/stage")
@api_auth("act")
def set_stage(contact_id: int):
    """Set a contact's stage by hand: {"stage": key, "by": userid, "note": "..."}.
    ---
    post:
      summary: Set the stage by hand (recorded with who and why; the WeCom stage tag follows)
      tags: [contacts]
      security: [{bearerAuth: []}]
      parameters:
        - {name: contact_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [stage]
              properties: {stage: {type: string}, by: {type: string}, note: {type: string}}
      responses:
        "200":
          description: "The changes and the contact"
          content: {application/json: {schema: {$ref: "#/components/schemas/ContactChanges"}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    body = request.get_json(silent=True) or {}
    services = current_app.extensions["scrm"]
    journey = services.content.journey
    stage, actor = body.get("stage"), _actor(body)
    if not isinstance(stage, str) or stage not in {s.key for s in journey.stages}:
        return error_response(f"stage must be one of {[s.key for s in journey.stages]}", 400)
    return _change(services, contact_id, lambda session, contact: set_stage_by_hand(
        SessionBook(session), contact, stage, actor, str(body.get("note") or "")[:200], journey))


@bp.post("/contacts/<int:contact_id>/signals")
@api_auth("act")
def add_signal(contact_id: int):
    """Record a milestone set by sales ({"kind": "signed", "by": userid}) and apply the journey rules.
    ---
    post:
      summary: Record a milestone set by sales; the journey rules decide the move
      tags: [contacts]
      security: [{bearerAuth: []}]
      parameters:
        - {name: contact_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [kind]
              properties: {kind: {type: string, enum: [signed]}, by: {type: string}}
      responses:
        "200":
          description: "The changes and the contact"
          content: {application/json: {schema: {$ref: "#/components/schemas/ContactChanges"}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    body = request.get_json(silent=True) or {}
    services = current_app.extensions["scrm"]
    if body.get("kind") not in SALES_SIGNALS:
        return error_response(f"kind must be one of {list(SALES_SIGNALS)}", 400)
    signal = Signal(body["kind"], utcnow(), source=f"staff:{_actor(body)}")
    return _change(services, contact_id, lambda session, contact: apply_signals(
        SessionBook(session), contact, [signal], services.content.journey, utcnow()))


def _actor(body: dict) -> str:
    """Who acts: the body's `by` for the admin token (default admin), else the token's own user."""
    return g.principal.acting_as(body.get("by"), default="admin")


def _change(services: Services, contact_id: int, change):
    done = apply_change(services, g.principal, contact_id, change)
    if done is None:
        return error_response("no such contact", 404)
    _, changes, contact = done
    return jsonify(changes=[{"axis": c.axis, "from": c.from_value, "to": c.to_value, "reason": c.reason}
                            for c in changes],
                   contact=contact)
