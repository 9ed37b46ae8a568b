"""/metrics through HTTP: the figures move when callbacks arrive or are refused, sends happen and jobs fail."""
from __future__ import annotations

import pytest
from rq import Queue

from app.store.models import OutboxAction
from app.store.outbox import store_actions
from app.web.factory import create_app
from bots.effects import Action
from jobs.worker import run_worker
from tests.callbacks import post_event, sample_xml
from tests.metrics_helpers import scrape, value
from tests.settings import make_settings


def test_a_renamed_metric_or_label_is_an_error_not_a_zero(client):
    before = scrape(client)
    with pytest.raises(AssertionError, match="declares no metric"):
        value(before, "scrm_callbacks_recieved_total")
    assert client.post("/wecom/callback", query_string={"msg_signature": "0" * 40, "timestamp": "1", "nonce": "n"},
                       data=b"<xml><Encrypt>abc</Encrypt></xml>").status_code == 403
    after = scrape(client)
    moved = value(after, "scrm_callbacks_rejected_total", reason="bad signature") - value(
        before, "scrm_callbacks_rejected_total", reason="bad signature")
    assert moved == 1
    with pytest.raises(AssertionError, match="no label"):
        value(after, "scrm_callbacks_rejected_total", cause="bad signature")


def test_callbacks_received_duplicate_and_rejected_by_reason(client, services, vectors):
    before = scrape(client)
    xml = sample_xml(vectors, "add_external_contact")
    assert post_event(client, services.crypto, xml).status_code == 200
    assert post_event(client, services.crypto, xml).status_code == 200  # WeCom's retry of the same event
    bad = client.post("/wecom/callback", query_string={"msg_signature": "0" * 40, "timestamp": "1", "nonce": "n"},
                      data=b"<xml><Encrypt>abc</Encrypt></xml>")
    assert bad.status_code == 403
    huge = client.post("/wecom/callback", query_string={"msg_signature": "x", "timestamp": "1", "nonce": "n"},
                       data=b"x" * (services.settings.callback_max_bytes + 1))
    assert huge.status_code == 413
    after = scrape(client)
    for name, labels, delta in (("scrm_callbacks_received_total", {"result": "stored"}, 1),
                                ("scrm_callbacks_received_total", {"result": "duplicate"}, 1),
                                ("scrm_callbacks_rejected_total", {"reason": "bad signature", "status": "403"}, 1),
                                ("scrm_callbacks_rejected_total", {"reason": "body too large", "status": "413"}, 1)):
        assert value(after, name, **labels) - value(before, name, **labels) == delta, (name, labels)


def test_queue_depths_and_open_rows_are_read_at_scrape_time(client, services, vectors, redis):
    assert post_event(client, services.crypto, sample_xml(vectors, "add_external_contact")).status_code == 200
    text = scrape(client)
    assert value(text, "scrm_queue_jobs", queue="welcome", state="queued") == 1
    assert value(text, "scrm_queue_jobs", queue="default", state="failed") == 0
    assert value(text, "scrm_inbox_events", status="pending") == 1
    assert value(text, "scrm_state_source_up", source="redis") == 1
    assert value(text, "scrm_state_source_up", source="database") == 1
    with services.sessions() as session:
        store_actions(session, [Action("refresh_tags", "metrics-test", {}, queue="wecom")])
        session.commit()
    assert value(scrape(client), "scrm_outbox_open_actions", kind="refresh_tags", status="pending") == 1


def explode(reason: str) -> None:
    """A job that fails (enqueued by the test, run by `scrm worker`'s code)."""
    raise ValueError(reason)


def test_job_failures_and_failed_registry(client, services, redis):
    before = scrape(client)
    Queue("default", connection=redis).enqueue(explode, "boom")
    run_worker(services.settings, ("default",), burst=True)
    after = scrape(client)
    key = {"queue": "default", "exception": "ValueError"}
    assert value(after, "scrm_job_failures_total", **key) - value(before, "scrm_job_failures_total", **key) == 1
    assert value(after, "scrm_queue_jobs", queue="default", state="failed") == 1


def test_sends_api_calls_and_alert_latency_move_with_a_hot_lead(world):
    before = scrape(world.client)
    [ext] = world.known_prospects(1)
    world.say(ext, "你们这个系统一年多少钱？能发个报价单吗")
    after = scrape(world.client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("scrm_outbox_actions_total", kind="app_message", outcome="done") == 1
    assert moved("scrm_outbox_actions_total", kind="robot_alert", outcome="done") == 1
    assert moved("scrm_hot_lead_alert_latency_seconds_count") == 1
    assert 0 < moved("scrm_hot_lead_alert_latency_seconds_sum") < 60
    assert moved("scrm_wecom_api_calls_total", endpoint="message/send") == 1
    assert moved("scrm_wecom_api_calls_total", endpoint="webhook/send") == 1
    assert moved("scrm_wecom_api_calls_total", endpoint="gettoken") >= 1


def test_api_errors_are_counted_by_endpoint_and_error(world):
    before = scrape(world.client)
    with world.services.sessions() as session:
        [(action_id, _)] = store_actions(session, [Action("fetch_contact", "metrics-unknown", {
            "external_userid": "wmUNKNOWN"}, queue="wecom")])
        session.commit()
    from jobs.pipeline.actions import run_action

    assert run_action(world.services, action_id) == "failed"
    after = scrape(world.client)
    labels = {"endpoint": "externalcontact/get", "error": "InvalidExternalUser"}
    assert (value(after, "scrm_wecom_api_errors_total", **labels)
            - value(before, "scrm_wecom_api_errors_total", **labels)) == 1
    outcome = {"kind": "fetch_contact", "outcome": "failed"}
    assert (value(after, "scrm_outbox_actions_total", **outcome)
            - value(before, "scrm_outbox_actions_total", **outcome)) == 1
    with world.services.sessions() as session:
        assert session.get(OutboxAction, action_id).status == "failed"


def test_metrics_token_guards_the_endpoint_when_set(database_url, redis_url, redis):
    from app.wiring import build_services

    services = build_services(make_settings(database_url, redis_url, metrics_token="scrape-me"))
    try:
        client = create_app(services=services).test_client()
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        text = scrape(client, Authorization="Bearer scrape-me")
        assert "scrm_callbacks_received_total" in text or "scrm_callbacks_received" in text
    finally:
        services.close()
