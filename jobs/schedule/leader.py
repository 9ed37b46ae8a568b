"""A leader lock over Redis: one scheduler plans, the others stand by; every term carries a fencing epoch."""
from __future__ import annotations

import logging
import os
import socket
import uuid
from typing import cast

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Take the lock only if free; the epoch is bumped only on success, so it counts terms, not attempts.
# `floor` (the newest epoch the database has seen) keeps epochs rising even if Redis lost its data.
ACQUIRE = """
if redis.call('exists', KEYS[1]) == 1 then return false end
if tonumber(redis.call('get', KEYS[2]) or '0') < tonumber(ARGV[3]) then redis.call('set', KEYS[2], ARGV[3]) end
local epoch = redis.call('incr', KEYS[2])
local token = epoch .. ':' .. ARGV[1]
redis.call('set', KEYS[1], token, 'PX', ARGV[2])
return token
"""
# Extend only our own term: finding another token means we were deposed.
RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class LeaderLock:
    """A TTL lock whose token is "<epoch>:<host>:<pid>:<nonce>"; the epoch fences a deposed leader's late ticks."""

    def __init__(self, redis: Redis, name: str = "scrm:scheduler:leader", ttl: int = 30) -> None:
        self.redis = redis
        self.name = name
        self.epoch_key = f"{name}:epoch"
        self.ttl = ttl
        self.token: str | None = None
        self._acquire = redis.register_script(ACQUIRE)
        self._renew = redis.register_script(RENEW)
        self._release = redis.register_script(RELEASE)

    @property
    def epoch(self) -> int | None:
        """The epoch of our current term, or None when we do not lead."""
        return int(self.token.split(":", 1)[0]) if self.token else None

    def try_acquire(self, floor: int = 0) -> bool:
        """Become leader if nobody holds the lock; the new term's epoch exceeds every earlier one and `floor`."""
        identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        token = self._acquire(keys=[self.name, self.epoch_key], args=[identity, self.ttl * 1000, floor])
        if token is None:
            return False
        self.token = token.decode() if isinstance(token, bytes) else token
        log.info("became scheduler leader (epoch %s)", self.epoch)
        return True

    def renew(self) -> bool:
        """Extend our term; False (and leadership dropped) if it expired, was taken, or Redis is unreachable."""
        if self.token is None:
            return False
        try:
            renewed = bool(self._renew(keys=[self.name], args=[self.token, self.ttl * 1000]))
        except RedisError as exc:
            log.warning("cannot renew leadership (epoch %s): %s", self.epoch, type(exc).__name__)
            renewed = False
        if not renewed:
            log.warning("lost scheduler leadership (epoch %s)", self.epoch)
            self.token = None
        return renewed

    def holds(self) -> bool:
        """Tell whether the lock still carries our token (checked before each tick's writes)."""
        if self.token is None:
            return False
        try:
            current = cast(bytes | None, self.redis.get(self.name))  # typed Awaitable | Any (redis-py#2399)
        except RedisError:
            return False
        return current is not None and current.decode() == self.token

    def release(self) -> None:
        """Give up our term if we still hold it."""
        if self.token is None:
            return
        try:
            self._release(keys=[self.name], args=[self.token])
        except RedisError:
            log.warning("cannot release leadership; it expires in %ss", self.ttl)
        self.token = None

    def expires_in(self) -> float | None:
        """Seconds until the current term lapses unless renewed, or None when nobody leads."""
        remaining = cast(int, self.redis.pttl(self.name))  # typed Awaitable | Any (redis-py#2399)
        return remaining / 1000 if remaining >= 0 else None
