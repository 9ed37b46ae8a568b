"""JSON API behind the console screens: who am I, dashboard, contact search, sidebar, nurture and lead actions.
Bearer tokens only (the admin token or a user's own token). Content versions live in app.web.api.content."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from app.store.models import utcnow
from app.web.console.access import api_auth
from app.web.console.contacts_query import FilterError, parse_filters, search_contacts, sidebar_view
from app.web.console.dashboard import PeriodError, dashboard, parse_period
from app.web.console.leads import ack_contact
from app.web.console.nurture_control import NurtureRefused, restart_nurture, stop_nurture
from app.web.console.scope import get_contact
from app.web.errors import error_response

bp = Blueprint("console", __name__)


def _services():
    return current_app.extensions["scrm"]


@bp.get("/me")
@api_auth()
def me():
    """Who the token acts as.
    ---
    get:
      summary: The caller's name, role and which owners' contacts they see
      tags: [console]
      security: [{bearerAuth: []}]
      responses:
        "200":
          description: "The principal"
          content: {application/json: {schema: {$ref: "#/components/schemas/Principal"}}}
        "401": {$ref: "#/components/responses/Unauthorized"}
    """
    p = g.principal
    return jsonify(username=p.username, role=p.role, wecom_userid=p.wecom_userid,
                   owners=None if p.sees_all else sorted(p.owners or ()))


@bp.get("/dashboard")
@api_auth("dashboard")
def get_dashboard():
    """The dashboard's figures.
    ---
    get:
      summary: Funnel, conversion over the period, by channel, hot leads today, nurture today, confirmation, opt-outs
      tags: [console]
      security: [{bearerAuth: []}]
      parameters:
        - {name: days, in: query, schema: {type: integer, enum: [1, 7, 30, 90], default: 7}}
        - {name: channel, in: query, schema: {type: string}, description: "a channel state"}
      responses:
        "200":
          description: "Dashboard data"
          content: {application/json: {schema: {$ref: "#/components/schemas/Dashboard"}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
    """
    try:
        days = parse_period(request.args.get("days"))
    except PeriodError as err:
        return error_response(str(err), 400)
    services = _services()
    with services.sessions() as session:
        return jsonify(dashboard(session, services, g.principal, days, request.args.get("channel") or None, utcnow()))


@bp.get("/contacts")
@api_auth("contacts")
def list_contacts():
    """Search and filter contacts.
    ---
    get:
      summary: Contacts the caller may see, filtered, best score first
      tags: [contacts]
      security: [{bearerAuth: []}]
      parameters:
        - name: q
          in: query
          schema: {type: string}
          description: "name or company contains, or exact external_userid"
        - {name: stage, in: query, schema: {type: string}}
        - {name: tag, in: query, schema: {type: string}}
        - {name: channel, in: query, schema: {type: string}}
        - {name: owner, in: query, schema: {type: string}}
        - {name: min_score, in: query, schema: {type: number}}
        - {name: max_score, in: query, schema: {type: number}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 200, default: 50}}
        - {name: offset, in: query, schema: {type: integer, minimum: 0, default: 0}}
      responses:
        "200":
          description: "One page of contacts and the total"
          content: {application/json: {schema: {$ref: "#/components/schemas/ContactPage"}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
    """
    try:
        filters = parse_filters(request.args)
    except FilterError as err:
        return error_response(str(err), 400)
    services = _services()
    with services.sessions() as session:
        return jsonify(search_contacts(session, g.principal, filters, services.content.journey,
                                       services.content.channels()))


@bp.get("/sidebar/<int:contact_id>")
@api_auth("contacts")
def sidebar(contact_id: int):
    """The chat sidebar's data for one contact.
    ---
    get:
      summary: Stage, score, open alerts, recent activity and the next planned touches of a contact
      tags: [contacts]
      security: [{bearerAuth: []}]
      parameters:
        - {name: contact_id, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: "Sidebar data"
          content: {application/json: {schema: {$ref: "#/components/schemas/Sidebar"}}}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    services = _services()
    with services.sessions() as session:
        contact = get_contact(session, g.principal, contact_id)
        if contact is None:
            return error_response("no such contact", 404)
        return jsonify(sidebar_view(session, services, contact, utcnow()))


@bp.post("/contacts/<int:contact_id>/nurture")
@api_auth("act")
def nurture(contact_id: int):
    """Stop or restart a contact's automatic nurture.
    ---
    post:
      summary: 'Stop or restart nurture: {"action": "stop" | "restart"}'
      tags: [contacts]
      security: [{bearerAuth: []}]
      parameters:
        - {name: contact_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [action], properties: {action: {type: string, enum: [stop, restart]}}}
      responses:
        "200":
          description: "Whether anything changed, and the contact's nurture state"
          content: {application/json: {schema: {$ref: "#/components/schemas/NurtureState"}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409":
          description: "The contact opted out or is lost and cannot be nurtured"
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Error"}
    """
    action = (request.get_json(silent=True) or {}).get("action")
    if action not in ("stop", "restart"):
        return error_response("action must be 'stop' or 'restart'", 400)
    services = _services()
    with services.sessions() as session:
        contact = get_contact(session, g.principal, contact_id)
        if contact is None:
            return error_response("no such contact", 404)
        try:
            changed = (stop_nurture if action == "stop" else restart_nurture)(session, contact, g.principal.actor)
        except NurtureRefused as err:
            return error_response(str(err), 409)
        session.commit()
        return jsonify(changed=changed, nurture_stopped=contact.nurture_stopped, lead_status=contact.lead_status)


@bp.post("/contacts/<int:contact_id>/contacted")
@api_auth("act")
def contacted(contact_id: int):
    """Mark every open hot-lead alert of a contact as contacted (the same as acking each alert).
    ---
    post:
      summary: Mark a contact's open hot-lead alerts contacted by the caller
      tags: [leads]
      security: [{bearerAuth: []}]
      parameters:
        - {name: contact_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: false
        content:
          application/json:
            schema:
              type: object
              properties: {by: {type: string, description: "who contacted (default: the token's user)"}}
      responses:
        "200":
          description: "How many alerts were open"
          content: {application/json: {schema: {$ref: "#/components/schemas/Acked"}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
    """
    by = _actor()
    if not by:
        return error_response("'by' (who contacted the lead) is required", 400)
    services = _services()
    with services.sessions() as session:
        if get_contact(session, g.principal, contact_id) is None:
            return error_response("no such contact", 404)
        acked = ack_contact(session, contact_id, by)
        session.commit()
    return jsonify(acked=acked)


def _actor() -> str:
    """Who is acting: the body's `by` for the admin token, else the token's own user."""
    return g.principal.acting_as((request.get_json(silent=True) or {}).get("by"))
