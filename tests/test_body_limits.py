"""Every endpoint that takes a body refuses one over its limit with a clean 413 before reading it; the public
tracked-link endpoint is rate-limited per visitor, across worker processes, and not fooled by a forged
X-Forwarded-For."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app.store.models import InboxEvent
from app.web.factory import create_app
from app.web.guards import UPLOAD_ENDPOINTS, body_limit
from app.wiring import build_services
from tests.settings import ADMIN_TOKEN, make_settings

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SMALL = 4096


@pytest.fixture
def small_limits(database_url, redis_url, redis):
    """An app whose general, upload and callback body limits are small, so the tests send small bodies."""
    services = build_services(make_settings(database_url, redis_url, request_max_bytes=SMALL,
                                            upload_max_bytes=3 * SMALL, callback_max_bytes=2 * SMALL))
    yield services, create_app(services=services)
    services.close()


def body_rules(app) -> list:
    return sorted((rule for rule in app.url_map.iter_rules() if rule.methods & BODY_METHODS), key=lambda r: r.rule)


def concrete(rule) -> str:
    """The rule's URL with every variable filled with 1."""
    return re.sub(r"<(?:[^:>]+:)?[^>]+>", "1", rule.rule)


def test_every_endpoint_that_takes_a_body_has_a_limit(small_limits):
    services, app = small_limits
    rules = body_rules(app)
    assert {"callback.receive", "api.contacts.set_stage", "api.leads.ack"} <= {rule.endpoint for rule in rules}
    assert UPLOAD_ENDPOINTS <= {rule.endpoint for rule in rules}, (
        "an upload endpoint was renamed: update UPLOAD_ENDPOINTS")
    for rule in rules:
        assert 0 < body_limit(services.settings, rule.endpoint) <= 3 * SMALL, rule.endpoint


def test_every_body_over_its_limit_gets_a_clean_413(small_limits):
    services, app = small_limits
    client = app.test_client()
    for rule in body_rules(app):
        limit = body_limit(services.settings, rule.endpoint)
        for method in sorted(rule.methods & BODY_METHODS):
            reply = client.open(concrete(rule), method=method, data=b"{" + b" " * limit + b"}",
                                content_type="application/json",
                                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
            assert reply.status_code == 413, (rule.rule, method, reply.status_code)
            text = reply.get_data(as_text=True)
            assert len(text) < 200
            assert "Traceback" not in text
            if rule.rule.startswith("/api/"):
                assert reply.get_json()["error"] == "request body too large"
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(InboxEvent)) == 0


def test_a_body_at_the_limit_is_not_refused_for_its_size(small_limits):
    services, app = small_limits
    client = app.test_client()
    for rule in body_rules(app):
        limit = body_limit(services.settings, rule.endpoint)
        reply = client.post(concrete(rule), data=b"{" + b" " * (limit - 2) + b"}", content_type="application/json",
                            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert reply.status_code != 413, (rule.rule, reply.status_code)
        assert reply.status_code < 500, (rule.rule, reply.status_code)


def test_a_chunked_body_without_length_is_cut_off_at_the_limit(small_limits):
    _, app = small_limits
    client = app.test_client()
    for url in ("/api/leads/1/ack", "/wecom/callback?msg_signature=a&timestamp=1&nonce=n"):
        reply = client.post(url, input_stream=io.BytesIO(b"{" + b" " * (10 * SMALL) + b"}"),
                            content_type="application/json",
                            headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Transfer-Encoding": "chunked"},
                            environ_overrides={"wsgi.input_terminated": True})
        assert reply.status_code == 413, (url, reply.status_code)


def test_an_upload_may_be_larger_than_a_json_body(small_limits):
    services, app = small_limits
    reply = app.test_client().post("/api/content/versions", data={"files": (io.BytesIO(b"x: 1\n" * SMALL), "a.yaml")},
                                   headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert SMALL < len(b"x: 1\n" * SMALL)
    assert reply.status_code == 413
    small = app.test_client().post("/api/content/versions", data={"files": (io.BytesIO(b"x: 1\n" * 1000), "a.yaml")},
                                   headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert small.status_code == 422
    assert small.get_json()["problems"]


@pytest.fixture
def link_apps(database_url, redis_url, redis):
    """Two apps (two gunicorn workers, say) on one database and Redis, with a small tracked-link rate limit."""
    built = [build_services(make_settings(database_url, redis_url, link_rate_limit="5/minute")) for _ in range(2)]
    yield [create_app(services=services).test_client() for services in built]
    for services in built:
        services.close()


def opens(client, n: int, ip: str, **headers) -> list[int]:
    return [client.get("/r/no-such-token", environ_base={"REMOTE_ADDR": ip}, headers=headers).status_code
            for _ in range(n)]


def test_link_rate_limit_is_shared_by_all_workers(link_apps):
    first, second = link_apps
    assert opens(first, 3, "198.51.100.9") + opens(second, 2, "198.51.100.9") == [404] * 5
    assert opens(first, 1, "198.51.100.9") == opens(second, 1, "198.51.100.9") == [429]
    assert opens(second, 1, "198.51.100.10") == [404]


def test_a_forged_forwarded_for_does_not_dodge_the_limit(link_apps):
    first, _ = link_apps
    codes = [first.get("/r/x", environ_base={"REMOTE_ADDR": "198.51.100.20"},
                       headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code for n in range(6)]
    assert codes == [404] * 5 + [429]


def test_behind_a_trusted_proxy_each_visitor_has_their_own_limit(database_url, redis_url, redis):
    services = build_services(make_settings(database_url, redis_url, link_rate_limit="2/minute", trusted_proxies=1))
    try:
        client = create_app(services=services).test_client()
        proxy = "127.0.0.1"
        assert opens(client, 3, proxy, **{"X-Forwarded-For": "203.0.113.1"}) == [404, 404, 429]
        assert opens(client, 2, proxy, **{"X-Forwarded-For": "203.0.113.2"}) == [404, 404]
    finally:
        services.close()


@pytest.mark.parametrize("body", [[1], "stage", 5, None, {"stage": ["need_arises"]}, {"kind": {"x": 1}}])
def test_every_json_endpoint_answers_a_malformed_body_with_4xx(small_limits, body):
    services, app = small_limits
    client = app.test_client()
    for rule in body_rules(app):
        if not rule.rule.startswith("/api/"):
            continue
        reply = client.post(concrete(rule), json=body, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert 400 <= reply.status_code < 500, (rule.rule, body, reply.status_code)
        assert reply.get_json()["error"], (rule.rule, body, reply.status_code)


@pytest.mark.parametrize(("url", "status"), [
    ("/api/events?limit=²", 400),
    ("/api/content/diff?from=99999999999999999999&to=1", 400),
    ("/api/dashboard?channel=%00", 400),
    ("/api/contacts/99999999999999999999", 404),
    ("/api/contacts/abc", 404),
])
def test_unusable_query_values_and_ids_get_a_json_4xx(small_limits, url, status):
    _, app = small_limits
    reply = app.test_client().get(url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert reply.status_code == status, (url, reply.status_code)
    assert reply.is_json, (url, reply.status_code)
    assert reply.get_json()["error"], (url, reply.status_code)


@pytest.mark.parametrize("body", [b"[" * 50_000 + b"]" * 50_000, b'{"by": "a\\u0000b"}', b'{"a\\u0000": 1}'])
def test_json_bodies_too_deep_or_holding_nul_get_400(redis_url, redis, pg_database, body):
    services = build_services(make_settings(pg_database, redis_url))
    try:
        reply = create_app(services=services).test_client().post(
            "/api/leads/1/ack", data=body, content_type="application/json",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert reply.status_code == 400
        assert reply.get_json()["error"]
    finally:
        services.close()
