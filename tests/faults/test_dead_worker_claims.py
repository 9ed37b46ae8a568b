"""A worker killed mid-job leaves rq saying its job is "started" for minutes; the sweepers trust the stale claim."""
from __future__ import annotations

from datetime import timedelta

import pytest
from rq.job import Job, JobStatus

from app.store import inbox, outbox
from app.store.models import utcnow
from bots.effects import Action
from jobs.pipeline.actions import execute_action
from jobs.pipeline.events import process_event
from jobs.pipeline.inbox_sweeper import sweep_inbox
from jobs.pipeline.outbox_sweeper import sweep_outbox
from tests.callbacks import post_event, sample_xml

pytestmark = pytest.mark.faults

LONG_AGO = timedelta(hours=1)


def started_in_rq(services, queue: str, func, item_id: int, job_id: str) -> None:
    """Leave rq's record of a job as a killed worker does: status started, never finished."""
    services.queues.queue(queue).empty()
    services.queues.enqueue(queue, func, item_id, job_id=job_id)
    services.queues.queue(queue).remove(job_id)  # dequeued, as a worker does, and never finished
    Job.fetch(job_id, connection=services.redis).set_status(JobStatus.STARTED)
    assert services.queues.is_active(job_id)


def test_an_action_claimed_by_a_dead_worker_is_retaken_once_per_abandoned_attempt(services, redis):
    with services.sessions() as session:
        [(action_id, queue)] = outbox.store_actions(session, [Action("fetch_contact", "dead:1",
                                                                     {"external_userid": "wm1"})])
        session.commit()
        assert outbox.claim(session, action_id, stale_after=120, now=utcnow() - LONG_AGO) is not None
    started_in_rq(services, queue, execute_action, action_id, f"act-{action_id}")

    assert sweep_outbox(services) == 1
    assert sweep_outbox(services) == 0  # the retake is queued once, not on every sweep
    assert services.queues.queue(queue).job_ids == [f"act-{action_id}-retake1"]


def test_a_pending_action_whose_job_is_still_queued_is_left_alone(services, redis):
    with services.sessions() as session:
        [(action_id, queue)] = outbox.store_actions(session, [Action("fetch_contact", "dead:2",
                                                                     {"external_userid": "wm2"})])
        session.commit()
    services.queues.enqueue(queue, execute_action, action_id, job_id=f"act-{action_id}")
    assert sweep_outbox(services, pending_after=0) == 0


def test_an_event_claimed_by_a_dead_worker_is_retaken(client, services, vectors, redis):
    post_event(client, services.crypto, sample_xml(vectors, "del_follow_user"))
    with services.sessions() as session:
        [stale] = inbox.stale_events(session, pending_after=0, processing_after=0)
        assert inbox.claim(session, stale.id, stale_after=300, now=utcnow() - LONG_AGO) is not None
    started_in_rq(services, "callbacks", process_event, stale.id, f"evt-{stale.id}")

    assert sweep_inbox(services) == 1
    assert sweep_inbox(services) == 0
    assert services.queues.queue("callbacks").job_ids == [f"evt-{stale.id}-retake1"]
