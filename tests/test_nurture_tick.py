"""The scheduled nurture tick never overlaps itself: a tick that finds the previous one running is skipped."""
from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.store.content_versions import store_version
from app.store.models import Enrollment
from content.calendars import DEFAULT_CALENDAR
from jobs.nurture.sends import nurture_job
from jobs.periodic.reconcile import reconcile_contacts
from jobs.planner import SHANGHAI

LOADED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def world(world):
    """Three prospects of zhangsan's and the default calendar, loaded at a pinned instant."""
    for _ in range(3):
        world.state.contacts.add_prospect("zhangsan", state="webinar_0302", emit=False)
    reconcile_contacts(world.services)
    world.drain()
    with world.services.sessions() as session:
        store_version(session, [Path(DEFAULT_CALENDAR)], "test", now=LOADED_AT)
        session.commit()
    return world


def enrolled(world) -> int:
    with world.services.sessions() as session:
        return session.scalar(select(func.count()).select_from(Enrollment))


def test_a_tick_that_finds_the_previous_one_running_plans_nothing(world, caplog):
    caplog.set_level(logging.INFO, logger="jobs.nurture.sends")
    running = world.redis.lock("scrm:nurture-tick", timeout=60)
    assert running.acquire(blocking=False)
    nurture_job()
    assert enrolled(world) == 0
    assert "nurture tick skipped: the previous tick is still running" in caplog.text
    running.release()

    nurture_job()
    assert enrolled(world) == 3
    assert world.redis.get("scrm:nurture-tick") is None, "the tick lets go of the lock"
