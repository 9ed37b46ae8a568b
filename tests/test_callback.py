"""The callback endpoint on SQLite and PostgreSQL with real Redis: store once, answer, enqueue."""
from __future__ import annotations

from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from app.store.models import InboxEvent
from jobs.pipeline.events import EVENT_QUEUES
from tests.callbacks import post_event, sample_xml
from tests.settings import ADMIN_TOKEN


def queued(redis) -> dict[str, list[str]]:
    """Event-processing job ids waiting on each event queue."""
    return {name: Queue(name, connection=redis).job_ids for name in EVENT_QUEUES if Queue(name, connection=redis).count}


def drain(redis) -> None:
    """Process the events (no WeCom here: the actions they record stay queued on `wecom`)."""
    SimpleWorker([Queue(name, connection=redis) for name in EVENT_QUEUES], connection=redis).work(burst=True)


def inbox_rows(services) -> list[InboxEvent]:
    with services.sessions() as session:
        return session.execute(select(InboxEvent).order_by(InboxEvent.id)).scalars().all()


def test_url_verification_over_http(client, vectors):
    vector = vectors["url_verification"]
    response = client.get("/wecom/callback",
                          query_string={k: vector[k] for k in ("msg_signature", "timestamp", "nonce", "echostr")})
    assert response.status_code == 200
    assert response.get_data(as_text=True) == vector["plaintext"]


def test_official_encrypted_message_is_stored(client, services, vectors):
    vector = vectors["encrypted_message"]
    response = client.post("/wecom/callback",
                           query_string={k: vector[k] for k in ("msg_signature", "timestamp", "nonce")},
                           data=vector["body"])
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "success"
    rows = inbox_rows(services)
    assert [(r.kind, r.wecom_create_time, r.status) for r in rows] == [("text", 1409659813, "pending")]


def test_event_is_stored_enqueued_and_processed(client, services, vectors, redis):
    response = post_event(client, services.crypto, sample_xml(vectors, "add_external_contact"))
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "success"
    [row] = inbox_rows(services)
    assert (row.kind, row.change_type, row.status) == ("change_external_contact", "add_external_contact", "pending")
    assert queued(redis) == {"welcome": [f"evt-{row.id}"]}, "an add event with a welcome code takes the fast queue"
    drain(redis)
    [row] = inbox_rows(services)
    assert row.status == "done"
    assert row.attempts == 1
    assert row.processed_at is not None


def test_archive_notifications_take_the_fast_queue_and_other_changes_do_not(client, services, vectors, redis):
    for name in ("msgaudit_notify", "edit_external_contact"):
        assert post_event(client, services.crypto, sample_xml(vectors, name)).status_code == 200
    notify, edit = sorted(inbox_rows(services), key=lambda r: r.kind, reverse=True)
    assert (notify.kind, edit.change_type) == ("msgaudit_notify", "edit_external_contact")
    assert queued(redis) == {"welcome": [f"evt-{notify.id}"], "callbacks": [f"evt-{edit.id}"]}


def test_wecom_retry_creates_no_second_row_and_no_second_job(client, services, vectors, redis):
    xml = sample_xml(vectors, "add_external_contact")
    for _ in range(3):
        assert post_event(client, services.crypto, xml).status_code == 200
    assert len(inbox_rows(services)) == 1
    assert sum(map(len, queued(redis).values())) == 1
    drain(redis)
    assert post_event(client, services.crypto, xml).status_code == 200
    assert queued(redis) == {}
    assert [r.attempts for r in inbox_rows(services)] == [1]


def test_two_prospects_in_the_same_second_are_both_kept(client, services, vectors, redis):
    for name in ("add_external_contact", "add_external_contact_same_second"):
        assert post_event(client, services.crypto, sample_xml(vectors, name)).status_code == 200
    rows = inbox_rows(services)
    assert len(rows) == 2
    assert rows[0].wecom_create_time == rows[1].wecom_create_time
    assert sum(map(len, queued(redis).values())) == 2


def test_every_sample_event_is_accepted(client, services, vectors, redis):
    for name in vectors["sample_events"]:
        assert post_event(client, services.crypto, sample_xml(vectors, name)).status_code == 200
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(InboxEvent)) == len(vectors["sample_events"])
    lanes = queued(redis)
    assert sum(map(len, lanes.values())) == len(vectors["sample_events"])
    assert set(lanes) == {"welcome", "callbacks"}
    drain(redis)
    assert [(r.id, r.status, r.attempts, r.last_error) for r in inbox_rows(services) if r.status != "done"] == []


def test_events_api_requires_token_and_lists_events(client, services, vectors):
    post_event(client, services.crypto, sample_xml(vectors, "del_follow_user"))
    assert client.get("/api/events").status_code == 401
    assert client.get("/api/events", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = client.get("/api/events?limit=5", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 200
    [event] = response.get_json()["events"]
    assert event["kind"] == "change_external_contact"
    assert event["change_type"] == "del_follow_user"
    assert event["status"] == "pending"
    assert event["received_at"]
    assert event["processed_at"] is None
    bad = client.get("/api/events?limit=abc", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert bad.status_code == 400
