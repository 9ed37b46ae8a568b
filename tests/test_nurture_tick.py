"""The scheduled nurture tick never overlaps itself: a tick that finds the previous one running is skipped."""
from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.content_versions import store_version
from app.models import Enrollment
from content.calendars import DEFAULT_CALENDAR
from jobs.nurture import nurture_job
from jobs.planner import SHANGHAI
from jobs.reconcile import reconcile_contacts
from tests.world import start_world, stop_world


@pytest.fixture
def world(database_url, redis_url, redis):
    built = start_world(database_url, redis_url, redis)
    for _ in range(3):
        built.state.add_prospect("zhangsan", state="webinar_0302", emit=False)
    reconcile_contacts(built.services)
    built.drain()
    with built.services.sessions() as session:
        store_version(session, [Path(DEFAULT_CALENDAR)], "test", now=datetime.now(SHANGHAI))
        session.commit()
    yield built
    stop_world(built)


def enrolled(world) -> int:
    with world.services.sessions() as session:
        return session.scalar(select(func.count()).select_from(Enrollment))


def test_a_tick_that_finds_the_previous_one_running_plans_nothing(world, caplog):
    caplog.set_level(logging.INFO, logger="jobs.nurture")
    running = world.redis.lock("scrm:nurture-tick", timeout=60)
    assert running.acquire(blocking=False)
    nurture_job()
    assert enrolled(world) == 0
    assert "nurture tick skipped: the previous tick is still running" in caplog.text
    running.release()

    nurture_job()
    assert enrolled(world) == 3
    assert world.redis.get("scrm:nurture-tick") is None, "the tick lets go of the lock"
