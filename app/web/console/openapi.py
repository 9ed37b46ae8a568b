"""The OpenAPI 3 document of the JSON API, built with apispec from the views' YAML docstrings."""
from __future__ import annotations

from apispec import APISpec
from apispec_webframeworks.flask import FlaskPlugin
from flask import Blueprint, Flask, current_app, jsonify

from app.store.models.console import ROLES

bp = Blueprint("openapi", __name__, url_prefix="/api")
STR, INT, NUM, BOOL = ({"type": name} for name in ("string", "integer", "number", "boolean"))
TIME = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date"}
CLOCK = {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "description": "HH:MM, Asia/Shanghai"}
SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
RATE = {"type": "number", "minimum": 0, "maximum": 1}
COUNTS = {"type": "object", "additionalProperties": INT, "description": "a count per key (keys depend on content)"}


def null(schema: dict) -> dict:
    """The schema, or null (an enum lists null too, as OpenAPI 3.0.3 asks)."""
    return {**schema, "nullable": True, **({"enum": [*schema["enum"], None]} if "enum" in schema else {})}


def enum(*values) -> dict:
    """One of these strings."""
    return {"type": "string", "enum": list(values)}


def array(items: dict) -> dict:
    """A list of items."""
    return {"type": "array", "items": items}


def ref(name: str) -> dict:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def shape(props: dict) -> dict:
    """An object with exactly these keys, each required."""
    return {"type": "object", "required": list(props), "properties": props, "additionalProperties": False}


NURTURE_STOPPED = null(enum("hot_lead", "opted_out", "lost", "by_staff"))
CONTACT = {  # app.store.contact_json.contact_json
    "id": INT, "external_userid": STR, "name": null(STR), "corp_name": null(STR), "channel": null(STR),
    "owner": null(STR), "stage": shape({"key": STR, "name": STR, "entered_at": TIME}), "lead_status": STR,
    "nurture_stopped": NURTURE_STOPPED, "score": NUM,
    "relations": array(shape({"userid": STR, "status": enum("active", "pending", "lost"), "state": null(STR),
                              "lost_reason": null(STR)})),
    "timeline": array(ref("TimelineItem"))}
TOUCHPOINT = enum("moment", "private")
SCHEMAS = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": STR}},
    "Problems": {"type": "object", "properties": {"error": STR, "problems": array({"type": "object", "properties": {
        "file": STR, "row": null(INT), "field": STR, "message": STR}})}},
    "Principal": shape({"username": STR, "role": enum(*ROLES), "wecom_userid": null(STR), "owners": null(array(STR))}),
    "Event": shape({"id": INT, "kind": STR, "change_type": null(STR), "wecom_create_time": INT,
                    "status": enum("pending", "processing", "done", "failed"), "attempts": INT, "received_at": TIME,
                    "processed_at": null(TIME)}),
    "Events": shape({"events": array(ref("Event"))}),
    "LeadAlert": shape({
        "id": INT, "contact_id": INT, "owner": STR, "intent": STR, "trigger": enum("message", "link", "moments"),
        "explanation": {"type": "object", "description": "the facts sales acts on (bots.alerts.explain)",
                        "properties": {**dict.fromkeys(("who", "company", "channel", "stage", "lead_status", "intent",
                                                        "next_step"), STR),
                                       "days_in_nurture": INT, "touches": INT, "score": NUM, "messages": array(STR),
                                       "reasons": array(STR)}},
        "summary": STR, "message_at": TIME, "created_at": TIME, "acked_at": null(TIME), "acked_by": null(STR),
        "escalated_at": null(TIME)}),
    "LeadAlerts": shape({"leads": array(ref("LeadAlert"))}),
    "TimelineItem": shape({"at": TIME, "type": STR, "summary": STR, "event_id": null(INT), "detail": {
        "type": "object", "description": "an activity's detail; from, to, rule, actor of a change; a send's action"}}),
    "Contact": shape(CONTACT),
    "ContactChanges": shape({"changes": array(shape({"axis": enum("stage", "lead_status"), "from": STR, "to": STR,
                                                     "reason": STR})), "contact": ref("Contact")}),
    "ContactPage": shape({"total": INT, "limit": INT, "offset": INT, "contacts": array(shape({
        "id": INT, "name": null(STR), "corp_name": null(STR), "channel": null(STR), "channel_name": STR,
        "owner": null(STR), "stage": STR, "stage_name": STR, "lead_status": STR, "score": NUM,
        "nurture_stopped": NURTURE_STOPPED, "tags": array(STR), "last_activity_at": null(TIME)}))}),
    "Sidebar": shape({
        "contact": shape({key: CONTACT[key] for key in ("id", "name", "corp_name", "channel", "owner", "stage",
                                                        "lead_status", "nurture_stopped", "score")}),
        "tags": array(STR),
        "open_alerts": array(shape({"id": INT, "intent": STR, "summary": STR, "said": STR, "next_step": null(STR),
                                    "created_at": TIME})),
        "recent": array(ref("TimelineItem")),
        "next_touches": array(shape({"date": DATE, "at": CLOCK, "touchpoint": TOUCHPOINT, "step": STR, "by": STR,
                                     "text": STR})),
        "horizon_days": INT}),
    "NurtureState": shape({"changed": BOOL, "nurture_stopped": NURTURE_STOPPED, "lead_status": STR}),
    "Acked": shape({"acked": INT}),
    "Dashboard": shape({
        "period_days": {"type": "integer", "enum": [1, 7, 30, 90]}, "channel": null(STR), "generated_at": TIME,
        "funnel": array(shape({"stage": STR, "name": STR, "contacts": INT})),
        "conversion": array(shape({"from": STR, "to": STR, "from_name": STR, "to_name": STR, "reached": INT,
                                   "moved_on": INT, "rate": null(RATE)})),
        "by_channel": array(shape({"channel": null(STR), "name": STR, "total": INT, "stages": COUNTS})),
        "hot_leads": shape({"today": INT, "open": INT, "contacted": INT, "median_response_minutes": null(NUM),
                            "max_response_minutes": null(NUM), "longest_waiting_minutes": null(NUM)}),
        "nurture_today": shape({"private_sends": INT, "by_status": COUNTS, "contacts_reached": INT,
                                "contacts_at_cap": INT, "private_per_day": INT,
                                "moments_per_staff": array(shape({"userid": STR, "posts": INT, "limit": INT})),
                                "moments_per_staff_per_day": INT}),
        "confirmation": shape({"tasks": INT, "confirmed": INT, "rate": null(RATE), "staff": array(shape({
            "userid": STR, "name": STR, "tasks": INT, "confirmed": INT, "rate": RATE,
            "median_minutes_to_confirm": null(NUM)}))}),
        "opt_outs": shape({"total": INT, "in_period": INT})}),
    "ContentVersion": shape({"id": INT, "sha256": SHA256, "files": array(STR), "loaded_by": STR, "loaded_at": TIME,
                             "active": BOOL}),
    "ContentVersions": shape({"versions": array(ref("ContentVersion"))}),
    "StoredVersion": shape({"id": INT, "sha256": SHA256, "created": BOOL, "steps": INT, "moments": INT}),
    "VersionDiff": shape({"changes": array(STR)}),
    "Preview": shape({"version": INT, "days": array(shape({
        "date": DATE, "deferred": COUNTS, "dropped": COUNTS, "sends": array(shape({
            "at": CLOCK, "touchpoint": TOUCHPOINT, "sequence": STR, "step": STR, "by": STR, "recipients": INT,
            "text": STR, "note": STR}))}))}),
}

def build_spec(app: Flask) -> dict:
    """Document every /api route whose view carries an OpenAPI docstring (after a `---` line)."""
    spec = APISpec(title="wecom-scrm API", version="1", openapi_version="3.0.3", plugins=[FlaskPlugin()],
                   info={"description": "JSON API of the SCRM console. Bearer tokens: SCRM_ADMIN_TOKEN (full access) "
                                        "or a user's own token from `scrm users token` "
                                        "(that user's role and contacts)."})
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema)
    for _code, name, text in (("400", "BadRequest", "Bad parameters"),
                              ("401", "Unauthorized", "No or invalid bearer token"),
                              ("403", "Forbidden", "The token's role does not allow this"),
                              ("404", "NotFound", "Not found, or not visible to the caller"),
                              ("413", "TooLarge", "Request body over the limit (app.web.guards)")):
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        spec.components.response(name, {"description": text, "content": error})
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        view = app.view_functions[rule.endpoint]
        if rule.rule.startswith("/api/") and "\n    ---" in (view.__doc__ or ""):
            spec.path(view=view, app=app)
    document = spec.to_dict()
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            # app.web.guards answers any /api/ request with an unusable query or body 400, a large body 413
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
        "200":
          description: OpenAPI 3 document
          content: {application/json: {schema: {type: object, required: [openapi, info, paths], properties: {
            openapi: {type: string}, info: {type: object}, paths: {type: object}}}}}
    """
    spec = current_app.extensions.get("openapi")
    if spec is None:
        spec = current_app.extensions["openapi"] = build_spec(current_app)
    return jsonify(spec)
