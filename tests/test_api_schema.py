"""Schemathesis against /api/openapi.json: generated requests to every documented operation, with the admin bearer
token, never get a 5xx, and every answer conforms to the document (status code, content type, body schema).

Bounded by the fuzz profile (HYPOTHESIS_PROFILE=dev|ci|long, see tests/fuzzing.py), over PostgreSQL with a
contact, a hot-lead alert, a content version and a stored callback in place so operations find something.
"""
from __future__ import annotations

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

from app.contacts import get_or_create_contact
from app.content_versions import store_version
from app.factory import create_app
from app.models import LeadAlert, utcnow
from app.services import build_services
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
