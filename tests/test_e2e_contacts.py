"""End to end against the sandbox: prospects arrive through channels and are stored, welcomed, attributed, staged."""
from __future__ import annotations

import statistics
import threading
import time

import pytest
from sqlalchemy import func, select

from app.store.models import Contact, InboxEvent, OutboxAction
from bench.system import running_system
from demo.report import stage_tag_counts, welcome_latencies

CHANNELS = [("webinar_0302", "zhangsan"), ("site_qr_pricing", "lisi"), ("expo_booth_a12", "wangwu")]
EXPECTED_STAGE = {"webinar_0302": "need_arises", "site_qr_pricing": "deeper_understanding",
                  "expo_booth_a12": "need_arises"}


def add_prospects(state, count: int, seconds: float) -> dict[str, str]:
    """Add `count` prospects evenly over `seconds` of real time; return their channel by external userid."""
    arrivals, pause, start = {}, threading.Event(), time.monotonic()
    for i in range(count):
        pause.wait(max(0.0, start + i * seconds / count - time.monotonic()))
        state_key, userid = CHANNELS[i % len(CHANNELS)]
        arrivals[state.contacts.add_prospect(userid, state=state_key)["external_userid"]] = state_key
    return arrivals


def settled(services, model) -> bool:
    with services.sessions() as session:
        return not session.scalar(select(func.count()).select_from(model)
                                  .where(model.status.in_(["pending", "processing", "running"])))


@pytest.mark.slow
@pytest.mark.parametrize(("count", "seconds"), [(1000, 60.0)])
def test_prospects_are_stored_welcomed_attributed_and_staged(pg_database, redis_url, redis, count, seconds):
    with running_system(pg_database, redis_url) as system:
        arrivals = add_prospects(system.sandbox.state, count, seconds)
        state, services = system.sandbox.state, system.services
        system.wait_for(lambda: len(state.core.callbacks_sent) >= count, 60, "callbacks delivered")
        system.wait_for(lambda: settled(services, InboxEvent) and settled(services, OutboxAction), 120, "processing")
        with services.sessions() as session:
            contacts = {c.external_userid: c for c in session.execute(select(Contact)).scalars()}
            inbox = session.scalar(select(func.count()).select_from(InboxEvent))
            welcomes = dict(session.execute(select(OutboxAction.status, func.count())
                                            .where(OutboxAction.kind == "welcome").group_by(OutboxAction.status)).all())
        assert inbox == count
        assert len(contacts) == count
        assert {ext: c.channel_state for ext, c in contacts.items()} == arrivals
        assert {ext: c.stage for ext, c in contacts.items()} == {ext: EXPECTED_STAGE[s] for ext, s in arrivals.items()}
        assert welcomes == {"done": count}
        assert all(len(state.contacts.welcome_messages_for(ext)) == 1 for ext in arrivals)
        latencies = sorted(welcome_latencies(state))
        p50, p99 = statistics.median(latencies), latencies[int(0.99 * (len(latencies) - 1))]
        print(f"\nwelcome latency over {count} prospects in {seconds:.0f} s: "
              f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
        assert stage_tag_counts(services, state) == {1: count}
        assert state.core.violation_total() == 0, state.core.violations
