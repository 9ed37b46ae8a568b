"""Schemathesis against /api/openapi.json: generated requests to every documented operation, with the admin bearer
token, never get a 5xx, and every answer conforms to the document (status code, content type, body schema).

Bounded by the fuzz profile (HYPOTHESIS_PROFILE=dev|ci|long, see tests/fuzzing.py), over PostgreSQL with a
contact, a hot-lead alert, a content version and a stored callback in place so operations find something.
Fuzzed requests rarely reach a success, so a second test makes one real 2xx call per documented operation (SQLite and
PostgreSQL) and runs the same conformance check on its answer, then on copies with a key dropped or renamed.
"""
from __future__ import annotations

import json
from io import BytesIO

import pytest
import schemathesis
from hypothesis import given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.store.contacts import get_or_create_contact
from app.store.content_versions import store_version
from app.store.models import Contact, LeadAlert, utcnow
from app.web.factory import create_app
from app.wiring import build_services
from content.calendars import DEFAULT_CALENDAR
from tests.callbacks import post_event, sample_xml
from tests.fuzzing import FUZZ
from tests.settings import ADMIN_TOKEN, make_settings

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PER_OPERATION = settings(FUZZ, max_examples=max(10, FUZZ.max_examples // 2))


def seed(services, client, vectors) -> None:
    """One stored callback, one contact with an open hot-lead alert, one active content version."""
    post_event(client, services.crypto, sample_xml(vectors, "edit_external_contact"))
    with services.sessions() as session:
        contact, _ = get_or_create_contact(session, "wmSchemaProbe0001", services.content.journey.initial_stage)
        session.add(LeadAlert(contact_id=contact.id, owner_userid="zhangsan", intent="pricing", trigger="message",
                              message_ids=[], explanation={"reasons": ["matched pricing keyword '多少钱'"]},
                              summary="客户询价", message_at=utcnow()))
        store_version(session, [DEFAULT_CALENDAR], "schema-test")
        session.commit()


@pytest.fixture
def api_schema(pg_database, redis_url, redis, vectors):
    """The app's own OpenAPI document, loaded through its WSGI app over a seeded PostgreSQL database."""
    services = build_services(make_settings(pg_database, redis_url))
    app = create_app(services=services)
    seed(services, app.test_client(), vectors)
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    services.close()


def test_every_operation_answers_as_documented_and_never_5xx(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {"GET /api/events", "POST /api/contacts/{contact_id}/stage", "POST /api/leads/{alert_id}/ack"} <= \
        {operation.label for operation in operations}
    failures = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @PER_OPERATION
            @given(case=operation.as_strategy(mode))
            def answers_as_documented(case):
                case.call_and_validate(headers=AUTH, checks=CHECKS)

            try:
                answers_as_documented()
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every failure, report all
                failures.append(f"{operation.label} ({mode.value} data): {type(exc).__name__}: {exc}")
    assert not failures, "\n\n".join(failures)


CALENDAR = {"data": lambda: {"files": [(BytesIO(DEFAULT_CALENDAR.read_bytes()), DEFAULT_CALENDAR.name)]}}
CALLS = [  # one call per documented operation that answers 2xx, in an order that fills optional values
    ("POST", "/api/content/versions", "/api/content/versions?activate=1", CALENDAR),
    ("GET", "/api/content/versions", "/api/content/versions", {}),
    ("POST", "/api/content/versions/{version_id}/activate", "/api/content/versions/{version}/activate", {}),
    ("GET", "/api/content/diff", "/api/content/diff?from={version}&to={version}", {}),
    ("GET", "/api/content/preview", "/api/content/preview?days=3", {}),
    ("GET", "/api/openapi.json", "/api/openapi.json", {}),
    ("GET", "/api/me", "/api/me", {}),
    ("GET", "/api/events", "/api/events", {}),
    ("GET", "/api/contacts", "/api/contacts", {}),
    ("GET", "/api/contacts/{contact_id}", "/api/contacts/{hot}", {}),
    ("GET", "/api/sidebar/{contact_id}", "/api/sidebar/{hot}", {}),
    ("GET", "/api/sidebar/{contact_id}", "/api/sidebar/{quiet}", {}),
    ("POST", "/api/leads/{alert_id}/ack", "/api/leads/{alert}/ack", {"json": {"by": "zhangsan"}}),
    ("GET", "/api/leads", "/api/leads", {}),
    ("POST", "/api/contacts/{contact_id}/contacted", "/api/contacts/{other}/contacted", {"json": {"by": "wangwu"}}),
    ("GET", "/api/dashboard", "/api/dashboard?days=30", {}),
    ("POST", "/api/contacts/{contact_id}/nurture", "/api/contacts/{quiet}/nurture", {"json": {"action": "stop"}}),
    ("POST", "/api/contacts/{contact_id}/stage", "/api/contacts/{quiet}/stage", {"json": {"stage": "onboarding"}}),
    ("POST", "/api/contacts/{contact_id}/signals", "/api/contacts/{hot}/signals", {"json": {"kind": "signed"}}),
]
FREE_FORM = {"explanation", "detail", "stages", "by_status", "deferred", "dropped"}  # objects with open keys


def broken(body, where=""):
    """Copies of a JSON body, each with one key of a fixed-shape object dropped or renamed (first list items only)."""
    if isinstance(body, list) and body:
        yield from ((path, [copy, *body[1:]]) for path, copy in broken(body[0], f"{where}[0]"))
    elif isinstance(body, dict):
        for key, value in body.items():
            rest = {k: v for k, v in body.items() if k != key}
            yield f"{where}.{key} dropped", rest
            yield f"{where}.{key} renamed", {**rest, f"{key}_renamed": value}
            if key not in FREE_FORM:
                yield from ((path, {**body, key: copy}) for path, copy in broken(value, f"{where}.{key}"))


def nonconformance(operation, answer) -> str | None:
    """Why schemathesis's response_schema_conformance fails the answer; None when it passes."""
    try:
        operation.validate_response(answer)
    except (AssertionError, BaseExceptionGroup) as exc:
        return "\n".join(str(e) for e in getattr(exc, "exceptions", [exc]))
    return None


@pytest.fixture
def cw(cw):
    """The console world (two teams, real hot leads) with one processed callback in the inbox."""
    with cw.services.sessions() as session:
        ext = session.get(Contact, cw.hot_lead).external_userid
    cw.world.post({"CreateTime": 1700000000, "ChangeType": "edit_external_contact", "UserID": "zhangsan",
                   "ExternalUserID": ext})
    cw.world.drain()
    return cw


def test_every_success_answer_conforms_and_a_missing_or_renamed_key_does_not(cw):
    client = cw.world.client
    spec = client.get("/api/openapi.json").get_json()
    called = {f"{method} {path}" for method, path, _, _ in CALLS}
    assert {f"{method.upper()} {path}" for path, ops in spec["paths"].items() for method in ops} == called
    api = schemathesis.openapi.from_dict(spec)
    ids = {"hot": cw.hot_lead, "quiet": cw.quiet, "alert": cw.alert, "other": cw.other_team}
    failures = []
    for method, path, url, kwargs in CALLS:
        answer = client.open(url.format(**ids), method=method, headers=AUTH,
                             **{key: value() if callable(value) else value for key, value in kwargs.items()})
        operation, label = api[path][method], f"{method} {url}"
        assert answer.status_code in (200, 201), f"{label}: {answer.status_code} {answer.get_data(as_text=True)}"
        ids.setdefault("version", answer.get_json().get("id"))  # the upload comes first
        if problem := nonconformance(operation, answer):
            failures.append(f"{label} does not conform: {problem}")
        elif path != "/api/openapi.json":  # the document's own schema is deliberately open
            for where, body in broken(answer.get_json()):
                answer.set_data(json.dumps(body))
                if not nonconformance(operation, answer):
                    failures.append(f"{label} still conforms with {where}")
    assert not failures, "\n".join(failures)
