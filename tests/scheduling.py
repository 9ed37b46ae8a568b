"""A ticker holding the leader lock, for tests that plan scheduled slots in-process."""
from __future__ import annotations

from redis import Redis

from app.services import Services
from jobs.schedule.leader import LeaderLock
from jobs.schedule.scheduler import Ticker
from jobs.schedule.ticks import schedule_table


def ticker(services: Services, redis: Redis, ttl: int = 5) -> Ticker:
    """A Ticker whose lock is already held."""
    lock = LeaderLock(redis, ttl=ttl)
    assert lock.try_acquire()
    return Ticker(services, lock, schedule_table(services.settings))
