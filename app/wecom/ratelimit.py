"""Client-side limits per corp and endpoint, per robot and per member, shared through Redis.

When an API limit is reached the limiter waits, at most `max_wait` seconds in all, for a slot; beyond that it
raises RateLimited(local=True, retry_after=...) so the caller (an outbox job) can defer instead of blocking a
worker. Robot and member limits (minute windows for messages) never wait: a worker asleep on them would hold up
the fast lane, so the message's job is deferred at once.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter, RateLimiter, SlidingWindowCounterRateLimiter
from redis import Redis

from app.wecom.errors import RateLimited

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimits:
    """Published WeCom limits (FACTS.md); tests pass small ones."""

    api_per_minute: int = 10_000
    api_per_hour: int = 150_000
    robot_per_minute: int = 20
    member_per_minute: int = 30
    member_per_hour: int = 1_000
    max_wait: float = 2.0


Check = tuple[RateLimiter, RateLimitItem, tuple[str, ...]]
# WeCom counts a robot's or member's minute when messages arrive; a request admitted at the very end of our window
# can land inside WeCom's, so our window is a second longer.
MINUTE_WITH_MARGIN = 61


def _digest(secret: str) -> str:
    """Name a robot key without storing the key (it is the robot's only credential)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


class Limiter:
    """Count our calls against WeCom's limits before making them."""

    def __init__(self, storage: Storage, limits: RateLimits | None = None,
                 sleep: Callable[[float], None] = time.sleep, namespace: str = "wecom") -> None:
        self.limits = limits or RateLimits()
        self.sleep = sleep
        self.namespace = namespace
        # Exact moving windows for small limits (WeCom drops or rejects the excess); an O(1) sliding
        # counter for the 150,000/h corp limit, whose moving window would keep 150,000 entries per endpoint.
        self._moving = MovingWindowRateLimiter(storage)
        self._sliding = SlidingWindowCounterRateLimiter(storage)

    @classmethod
    def create(cls, redis: Redis | None, limits: RateLimits | None = None,
               sleep: Callable[[float], None] = time.sleep) -> "Limiter":
        """Share counts through Redis when there is one, else count in this process."""
        if redis is None:
            return cls(MemoryStorage(), limits, sleep)
        storage = RedisStorage("redis://", connection_pool=redis.connection_pool, key_prefix="wecom-limits")
        return cls(storage, limits, sleep)

    def api(self, corp_id: str, endpoint: str) -> None:
        """Take one call of `endpoint` from the corp's per-minute and per-hour allowance."""
        lim = self.limits
        self._acquire(endpoint, [
            (self._moving, RateLimitItemPerMinute(lim.api_per_minute), (self.namespace, "api", corp_id, endpoint)),
            (self._sliding, RateLimitItemPerHour(lim.api_per_hour), (self.namespace, "api", corp_id, endpoint)),
        ])

    def robot(self, key: str) -> None:
        """Take one message from a group robot's per-minute allowance."""
        self._acquire("webhook/send", [self._robot_check(key)], max_wait=0.0)

    def robot_wait(self, key: str) -> float:
        """Seconds until the robot has a free slot (0.0: one is free now); takes nothing."""
        check = self._robot_check(key)
        return 0.0 if check[0].test(check[1], *check[2]) else self._retry_after(check)

    def _robot_check(self, key: str) -> Check:
        item = RateLimitItemPerSecond(self.limits.robot_per_minute, MINUTE_WITH_MARGIN)
        return self._moving, item, (self.namespace, "robot", _digest(key))

    def members(self, corp_id: str, agent_id: int | None, userids: Sequence[str]) -> None:
        """Take one app message from each member's per-minute and per-hour allowance."""
        lim = self.limits
        checks: list[Check] = []
        for userid in dict.fromkeys(userids):
            ids = (self.namespace, "member", corp_id, str(agent_id), userid)
            checks.append((self._moving, RateLimitItemPerSecond(lim.member_per_minute, MINUTE_WITH_MARGIN), ids))
            checks.append((self._moving, RateLimitItemPerHour(lim.member_per_hour), ids))
        self._acquire("message/send", checks, max_wait=0.0)

    def _acquire(self, endpoint: str, checks: list[Check], max_wait: float | None = None) -> None:
        """Take a slot from every check, waiting up to `max_wait` (default: the limits' own) before RateLimited."""
        max_wait = self.limits.max_wait if max_wait is None else max_wait
        waited = 0.0
        while True:
            blocked = self._hit_all(checks)
            if not blocked:
                return
            retry_after = max(self._retry_after(c) for c in blocked)
            if waited + retry_after > max_wait:
                log.info("client-side limit reached on %s; retry after %.1fs", endpoint, retry_after)
                raise RateLimited(45009, "client-side rate limit", endpoint, retry_after=retry_after, local=True)
            self.sleep(retry_after)
            waited += retry_after

    @staticmethod
    def _hit_all(checks: list[Check]) -> list[Check]:
        """Take a slot from each check in order, stopping at the first that is full; return the full ones.

        One atomic hit per check, no test first: a full check after a passing one leaves that slot taken, which
        only ever counts more calls than were made, never fewer.
        """
        for n, (limiter, item, ids) in enumerate(checks):
            if not limiter.hit(item, *ids):
                return checks[n:n + 1]
        return []

    @staticmethod
    def _retry_after(check: Check) -> float:
        limiter, item, ids = check
        reset = limiter.get_window_stats(item, *ids).reset_time
        return max(0.05, reset - time.time())
