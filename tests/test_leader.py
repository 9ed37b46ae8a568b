"""The leader lock on real Redis: one winner, no renewal after expiry, rising fencing epochs."""
from __future__ import annotations

import threading

from jobs.schedule.leader import LeaderLock
from tests.processes import wait_until


def test_two_contenders_one_wins(redis):
    first, second = LeaderLock(redis, ttl=5), LeaderLock(redis, ttl=5)
    assert first.try_acquire() is True
    assert second.try_acquire() is False
    assert first.holds()
    assert not second.holds()
    assert first.renew()
    assert not second.renew()
    assert redis.get(first.name).decode() == first.token


def test_many_concurrent_contenders_exactly_one_wins(redis):
    locks = [LeaderLock(redis, ttl=5) for _ in range(8)]
    start = threading.Barrier(len(locks))
    results: list[bool] = []

    def contend(lock: LeaderLock) -> None:
        start.wait()
        results.append(lock.try_acquire())

    threads = [threading.Thread(target=contend, args=(lock,)) for lock in locks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(results) == [False] * 7 + [True]


def test_renew_after_expiry_fails_and_the_other_takes_over(redis):
    leader, standby = LeaderLock(redis, ttl=1), LeaderLock(redis, ttl=1)
    assert leader.try_acquire()
    assert wait_until(lambda: redis.exists(leader.name) == 0, timeout=3)
    assert standby.try_acquire()
    assert leader.renew() is False
    assert leader.token is None
    assert not leader.holds()
    assert standby.renew()
    assert standby.holds()


def test_renew_fails_when_the_key_simply_expired(redis):
    lock = LeaderLock(redis, ttl=1)
    assert lock.try_acquire()
    assert wait_until(lambda: redis.exists(lock.name) == 0, timeout=3)
    assert lock.renew() is False


def test_renew_extends_the_term(redis):
    lock = LeaderLock(redis, ttl=2)
    assert lock.try_acquire()
    redis.pexpire(lock.name, 100)
    assert lock.renew()
    assert redis.pttl(lock.name) > 1000


def test_fencing_epoch_increases_with_every_term(redis):
    a, b = LeaderLock(redis, ttl=5), LeaderLock(redis, ttl=5)
    assert a.try_acquire()
    first = a.epoch
    assert not b.try_acquire()
    assert not b.try_acquire()
    a.release()
    assert b.try_acquire()
    assert b.epoch == first + 1
    b.release()
    assert a.try_acquire()
    assert a.epoch == first + 2


def test_epoch_never_falls_below_the_floor(redis):
    lock = LeaderLock(redis, ttl=5)
    assert lock.try_acquire(floor=41)
    assert lock.epoch == 42
    lock.release()
    assert lock.try_acquire(floor=3)
    assert lock.epoch == 43


def test_release_leaves_someone_elses_lock_alone(redis):
    old, new = LeaderLock(redis, ttl=1), LeaderLock(redis, ttl=5)
    assert old.try_acquire()
    redis.delete(old.name)
    assert new.try_acquire()
    old.token = f"{old.epoch}:stale"
    old.release()
    assert new.holds()
    new.release()
    assert redis.exists(new.name) == 0
    assert new.expires_in() is None
