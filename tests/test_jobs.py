"""Event processing through real rq workers: retries with backoff, a visible failed state, no loss."""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from datetime import datetime, timedelta, timezone

import pytest
from rq import Queue, SimpleWorker
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from sqlalchemy import select, update

import bots
from app.store.models import InboxEvent, utcnow
from app.wiring import build_services
from bots.router import Router
from jobs.pipeline.events import enqueue_events, run_event, run_events
from jobs.pipeline.inbox_sweeper import sweep_inbox
from jobs.queues import InlineQueues
from tests.callbacks import post_event, sample_xml
from tests.settings import make_settings


@pytest.fixture
def failing_router(monkeypatch):
    router = Router("always-fails")
    calls = []

    @router.on("change_external_contact")
    def explode(event, ctx):
        calls.append(event.change_type)
        raise RuntimeError("boom")

    monkeypatch.setattr(bots, "ROUTERS", [router])
    return calls


def rows(services):
    with services.sessions() as session:
        return session.execute(select(InboxEvent).order_by(InboxEvent.id)).scalars().all()


def test_failing_job_is_retried_then_visibly_failed(client, services, vectors, redis, failing_router):
    post_event(client, services.crypto, sample_xml(vectors, "del_follow_user"))
    queue = Queue("callbacks", connection=redis)
    SimpleWorker([queue], connection=redis).work(burst=True)
    [row] = rows(services)
    assert len(failing_router) == 1 + len(services.settings.job_retry_intervals)
    assert row.status == "failed"
    assert row.attempts == 3
    assert "RuntimeError: boom" in row.last_error
    assert FailedJobRegistry(queue=queue).get_job_ids() == [f"evt-{row.id}"]


def _claim_and_die(database_url: str, event_id: int) -> None:
    """Child process: claim the event like a worker would, then get SIGKILLed mid-handler."""
    services = build_services(make_settings(database_url, None))
    from app.store import inbox

    with services.sessions() as session:
        assert inbox.claim(session, event_id, stale_after=300) is not None
    os.kill(os.getpid(), signal.SIGKILL)


def test_event_of_a_killed_worker_is_picked_up_again(client, services, vectors, redis, database_url):
    post_event(client, services.crypto, sample_xml(vectors, "edit_external_contact"))
    queue = Queue("callbacks", connection=redis)
    queue.empty()
    [row] = rows(services)
    child = multiprocessing.get_context("spawn").Process(target=_claim_and_die, args=(database_url, row.id))
    child.start()
    child.join(30)
    assert child.exitcode == -signal.SIGKILL
    [row] = rows(services)
    assert row.status == "processing"
    assert run_event(services, row.id) is False
    services.settings.inbox_stale_after = 0
    assert sweep_inbox(services, pending_after=0) == 1
    SimpleWorker([queue], connection=redis).work(burst=True)
    [row] = rows(services)
    assert row.status == "done"
    assert row.attempts == 2


def test_lost_enqueue_is_recovered_by_the_sweeper(client, services, vectors, redis):
    post_event(client, services.crypto, sample_xml(vectors, "del_follow_user"))
    queue = Queue("callbacks", connection=redis)
    queue.empty()
    assert sweep_inbox(services, pending_after=0) == 1
    assert sweep_inbox(services, pending_after=0) == 0
    SimpleWorker([queue], connection=redis).work(burst=True)
    assert [r.status for r in rows(services)] == ["done"]


def test_inline_queue_retries_then_records_failure():
    queue = InlineQueues(retry_intervals=(0, 0), workers=2)
    attempts: list[int] = []
    done = threading.Event()

    def flaky(n):
        attempts.append(n)
        if len(attempts) < 3:
            raise ValueError("not yet")
        done.set()

    queue.enqueue("default", flaky, 7, job_id="flaky")
    assert done.wait(10)
    queue.shutdown()
    assert attempts == [7, 7, 7]
    assert queue.failed == []


def test_inline_queue_records_final_failure():
    queue = InlineQueues(retry_intervals=(0,), workers=1)
    failed = threading.Event()

    def always(_):
        if queue.failed or len(calls) >= 1:
            failed.set()
        calls.append(1)
        raise ValueError("never")

    calls: list[int] = []
    queue.enqueue("default", always, 1, job_id="bad")
    assert failed.wait(10)
    queue.shutdown()
    assert len(calls) == 2
    assert queue.failed == [("bad", "ValueError")]


@pytest.fixture
def picky_router(monkeypatch):
    """Handles edits, failing for one contact: the batch's other events must not suffer for it."""
    router = Router("fails-for-one")
    handled = []

    @router.on("change_external_contact", "edit_external_contact")
    def handle(event, ctx):
        if event.external_userid == "wm-broken":
            raise RuntimeError("boom")
        handled.append(event.external_userid)

    monkeypatch.setattr(bots, "ROUTERS", [router])
    return handled


def test_a_batch_processes_its_events_in_order_and_retries_a_failed_one_alone(client, services, vectors, redis,
                                                                               picky_router):
    xml = sample_xml(vectors, "edit_external_contact")
    original = xml.split("<ExternalUserID><![CDATA[")[1].split("]]>")[0]
    for n, ext in enumerate(("wm-a", "wm-broken", "wm-b")):
        post_event(client, services.crypto, xml.replace(original, ext).replace("</CreateTime>", f"{n}</CreateTime>"))
    Queue("callbacks", connection=redis).empty()
    ids = [row.id for row in rows(services)]

    assert run_events(services, ids) == 2
    assert picky_router == ["wm-a", "wm-b"]
    assert [(r.status, r.attempts) for r in rows(services)] == [("done", 1), ("pending", 1), ("done", 1)]
    assert ScheduledJobRegistry("callbacks", connection=redis).get_job_ids() == [f"evt-{ids[1]}-retry1"]
    assert run_events(services, ids) == 0  # finished events are not claimed again
    assert picky_router == ["wm-a", "wm-b"]
    assert [(r.status, r.attempts) for r in rows(services)] == [("done", 1), ("pending", 2), ("done", 1)]


def test_sweeper_leaves_events_that_wait_behind_a_backlog_and_requeues_lost_ones(client, services, vectors, redis):
    xml = sample_xml(vectors, "edit_external_contact")
    for n in range(2):
        post_event(client, services.crypto, xml.replace("</CreateTime>", f"{n}</CreateTime>"))
    ids = [row.id for row in rows(services)]
    queue = Queue("callbacks", connection=redis)
    queue.empty()
    with services.sessions() as session:
        session.execute(update(InboxEvent).values(received_at=utcnow() - timedelta(minutes=10)))
        session.commit()
    enqueue_events(services, [(event_id, False) for event_id in ids])
    [head] = queue.get_jobs()
    head.enqueued_at = datetime.now(timezone.utc) - timedelta(minutes=11)  # a backlog eleven minutes deep
    head.save()

    assert abs(services.queues.oldest_waiting(("welcome", "callbacks")) - head.enqueued_at) < timedelta(seconds=1)
    assert sweep_inbox(services) == 0
    queue.empty()  # the job is lost (say, Redis restarted without persistence)
    assert services.queues.oldest_waiting(("welcome", "callbacks")) is None
    assert sweep_inbox(services) == 2
    assert [job.id for job in queue.get_jobs()] == [f"evt-{event_id}" for event_id in ids]
