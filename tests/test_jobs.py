"""Event processing through real rq workers: retries with backoff, a visible failed state, no loss."""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading

import pytest
from rq import Queue, SimpleWorker
from rq.registry import FailedJobRegistry
from sqlalchemy import select

import bots
from app.models import InboxEvent
from app.services import build_services
from bots.router import Router
from jobs.events import run_event
from jobs.queues import InlineQueues
from jobs.sweeper import sweep_inbox
from tests.callbacks import post_event, sample_xml
from tests.conftest import make_settings


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
    assert row.status == "failed" and row.attempts == 3 and "RuntimeError: boom" in row.last_error
    assert FailedJobRegistry(queue=queue).get_job_ids() == [f"evt-{row.id}"]


def _claim_and_die(database_url: str, event_id: int) -> None:
    """Child process: claim the event like a worker would, then get SIGKILLed mid-handler."""
    services = build_services(make_settings(database_url, None))
    from app import inbox

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
    assert row.status == "done" and row.attempts == 2


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
    assert attempts == [7, 7, 7] and queue.failed == []


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
    assert len(calls) == 2 and queue.failed == [("bad", "ValueError")]
