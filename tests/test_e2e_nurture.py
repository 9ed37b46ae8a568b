"""Thirty simulated days of the default 30-day sequence against the sandbox: 2,000 prospects, 5 staff."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.store.content_versions import store_version
from app.store.models import Delivery, OutboxAction
from content.calendars import DEFAULT_CALENDAR
from jobs.nurture.sends import plan_nurture
from jobs.periodic.reconcile import reconcile_contacts
from jobs.planner import SHANGHAI

STAFF = ("zhangsan", "lisi", "wangwu", "zhaoliu", "sunqi")
CHANNELS = ("webinar_0302", "expo_booth_a12", "")
TICKS = ((8, 0), (8, 30), (10, 30), (12, 30), (14, 0), (17, 30), (20, 0), (22, 30))
DAY0 = datetime(2026, 11, 16, tzinfo=SHANGHAI)  # a Monday; the 30 days cross a month's end


def accepted_calls(state, path: str) -> int:
    """Calls WeCom accepted (a call refused for an expired token after a clock jump had no effect)."""
    return sum(1 for call in state.core.calls if call["path"] == path and call["errcode"] == 0)


def local(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, SHANGHAI)


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.world(staff=STAFF, auto_confirm_rate=1.0, auto_confirm_delay=1800, start_at=DAY0 - timedelta(hours=1))
def test_thirty_days_of_nurture_stay_inside_every_limit(world, capsys):
    state, services = world.state, world.services
    for i in range(2000):
        state.contacts.add_prospect(STAFF[i % len(STAFF)], state=CHANNELS[i % len(CHANNELS)], emit=False)
    reconcile_contacts(services)
    world.drain()
    with services.sessions() as session:
        store_version(session, [Path(DEFAULT_CALENDAR)], "test", now=DAY0)
        session.commit()

    for day in range(30):
        for hour, minute in TICKS:
            now = DAY0 + timedelta(days=day, hours=hour, minutes=minute)
            state.clock.advance_to(now.timestamp())
            state.tick()
            plan_nurture(services, now)
            world.drain()
    state.advance(86400)

    with services.sessions() as session:
        actions = session.execute(select(OutboxAction.kind, OutboxAction.status, func.count())
                                  .where(OutboxAction.kind.in_(["mass_send", "moment"]))
                                  .group_by(OutboxAction.kind, OutboxAction.status)).all()
        per_contact_day = session.execute(select(Delivery.contact_id, Delivery.local_date, func.count())
                                          .group_by(Delivery.contact_id, Delivery.local_date)).all()
        planned_mass = session.scalar(select(func.count()).select_from(OutboxAction)
                                      .where(OutboxAction.kind == "mass_send"))
        planned_moments = session.scalar(select(func.count()).select_from(OutboxAction)
                                         .where(OutboxAction.kind == "moment"))
    assert {status for _, status, _ in actions} == {"done"}
    assert accepted_calls(state, "externalcontact/add_msg_template") == planned_mass == len(state.campaigns.mass_tasks)
    assert (accepted_calls(state, "externalcontact/add_moment_task") == planned_moments
            == len(state.moments.moment_tasks))
    assert max(count for *_, count in per_contact_day) == 1
    assert state.core.violation_total() == 0, state.core.violations

    created = [local(t.create_time) for t in state.campaigns.mass_tasks.values()] + \
              [local(j.create_time) for j in state.moments.moment_tasks.values()]
    assert all(8 <= t.hour < 21 for t in created), "a task was created in quiet hours"
    assert all(len(state.moments.moments_seen_by(ext)) <= 3 * 31 for ext in state.contacts.contacts)

    tasks = Counter()
    for task in state.campaigns.mass_tasks.values():
        for sender in task.senders:
            tasks[sender, local(task.create_time).date()] += 1
    for job in state.moments.moment_tasks.values():
        for sender in job.senders:
            tasks[sender, local(job.create_time).date()] += 1
    per_staff = {userid: max(n for (u, _), n in tasks.items() if u == userid) for userid in STAFF}
    sent = sum(1 for t in state.campaigns.mass_tasks.values() for r in t.recipients.values() if r.get("status") == 1)
    with capsys.disabled():
        print(f"\n30 days, 2,000 prospects, 5 staff: {planned_mass} mass-send tasks, {planned_moments} Moments tasks, "
              f"{sent} 1:1 messages delivered; most tasks one staff member confirmed in a day: {per_staff}")
    assert all(n <= 6 for n in per_staff.values())
