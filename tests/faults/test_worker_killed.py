"""Fault: a worker is SIGKILLed inside an outbound WeCom call. After a restart the send happens exactly once."""
from __future__ import annotations

import time

import pytest
from redis import Redis
from rq import Worker

from app.store import outbox
from bench.system import System
from bots.effects import Action
from jobs.pipeline.actions import enqueue_actions
from tests.faults.probes import outbox_rows

pytestmark = pytest.mark.faults

HOLD = 20.0  # the sandbox holds its answer this long; the gateway's own timeout (5 s) would end the call first
TEXT = "您好，这是本周的行业报告，供参考。"


def accepted(state, path: str) -> int:
    """Calls of `path` the sandbox carried out."""
    return sum(1 for call in state.core.calls if call["path"] == path and call["errcode"] in (0, None))


def kill_worker_running(system: System, redis_url: str, job_prefix: str) -> int:
    """SIGKILL the worker process running a job whose id starts with `job_prefix` (found through rq's registry)."""
    workers = Worker.all(connection=Redis.from_url(redis_url))
    busy = [w for w in workers if (w.get_current_job_id() or "").startswith(job_prefix)]
    assert len(busy) == 1, [(w.pid, w.get_current_job_id()) for w in workers]
    proc = next(p for p in system.workers if p.pid == busy[0].pid)
    proc.kill()
    proc.wait(10)
    return proc.pid


def test_mass_send_task_is_created_once_when_its_worker_is_killed_inside_the_call(fault_system, private_redis):
    path = "externalcontact/add_msg_template"
    with fault_system(workers=2, schedulers=1) as system:
        state = system.sandbox.state
        ext = state.contacts.add_prospect("zhangsan", emit=False)["external_userid"]
        state.access.inject_fault(path, delay=HOLD, after_effect=True)  # the task is created, the answer held back
        with system.services.sessions() as session:
            created = outbox.store_actions(session, [Action("mass_send", "fault:kill:mass", {
                "sender": "zhangsan", "recipients": [ext], "text": TEXT, "attachments": []})])
            session.commit()
        enqueue_actions(system.services, created)
        system.wait_for(lambda: state.campaigns.mass_tasks, 20, "the sandbox to create the task")
        killed = kill_worker_running(system, private_redis.url, f"act-{created[0][0]}")
        killed_at = time.monotonic()
        system.start_worker()  # what the process supervisor does
        system.wait_for(lambda: outbox_rows(system, "mass_send")[0].status == "done", 40, "the send to finish")
        print(f"\nmass send done {time.monotonic() - killed_at:.1f} s after its worker was killed inside the call")
        [action] = outbox_rows(system, "mass_send")

    assert killed not in [p.pid for p in system.workers if p.poll() is None]
    assert accepted(state, path) == 1
    assert len(state.campaigns.mass_tasks) == 1
    assert action.result["adopted"] is True
    assert [action.result["msgid"]] == list(state.campaigns.mass_tasks)
    assert action.attempts == 2


def test_welcome_is_sent_once_when_its_worker_is_killed_inside_the_call(fault_system, private_redis):
    path = "externalcontact/send_welcome_msg"
    with fault_system(workers=2, schedulers=1) as system:
        state = system.sandbox.state
        state.access.inject_fault(path, delay=HOLD, after_effect=True)  # the message is sent, the answer held back
        ext = state.contacts.add_prospect("lisi", state="webinar_0302")["external_userid"]
        system.wait_for(lambda: state.contacts.welcome_messages_for(ext), 20, "the sandbox to send the welcome")
        kill_worker_running(system, private_redis.url, "evt-")  # the welcome is sent inside the event's job
        killed_at = time.monotonic()
        system.start_worker()
        system.wait_for(lambda: outbox_rows(system, "welcome")[0].status not in ("pending", "running"), 40,
                        "the welcome action to settle")
        print(f"\nwelcome settled {time.monotonic() - killed_at:.1f} s after its worker was killed inside the call")
        [action] = outbox_rows(system, "welcome")

    assert len(state.contacts.welcome_messages_for(ext)) == 1
    assert accepted(state, path) == 1
    assert action.status == "done"
    assert action.result["on_earlier_attempt"] is True
    # The retake presents the single-use code once more: 41051 "already used" is how it learns the first call
    # went through (there is no lookup for welcome messages); the sandbox books that probe, and nothing else.
    assert state.core.violations == {"welcome_code_reused": 1}
