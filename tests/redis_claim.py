"""One empty Redis database per test run, claimed so that two runs on one machine never share keys.

rq's own test suite picks an empty database the same way; the claim (a key with a lifetime in database 0) closes
the race between two runs that start together, and a database holding anyone else's keys is never taken.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from redis import Redis

CLAIM_PREFIX = "scrm-tests:claimed-db:"
CLAIM_SECONDS = 4 * 3600  # longer than any test run (CI stops a run at 90 minutes)


@dataclass
class RedisClaim:
    """A Redis database held by this run until `release`."""

    url: str
    db: int
    token: str
    registry: Redis

    def release(self) -> None:
        """Empty the database and give it back (only if the claim is still ours)."""
        Redis.from_url(self.url).flushdb()
        key = f"{CLAIM_PREFIX}{self.db}"
        if self.registry.get(key) == self.token.encode():
            self.registry.delete(key)


def claim_empty_database(base_url: str) -> RedisClaim:
    """Claim the first database (1 and up) that no one has claimed and that holds no key; fail when none is free."""
    registry = Redis.from_url(f"{base_url}/0")
    count = int(registry.config_get("databases").get("databases", 16))
    token = uuid.uuid4().hex
    for db in range(1, count):
        key = f"{CLAIM_PREFIX}{db}"
        if not registry.set(key, token, nx=True, ex=CLAIM_SECONDS):
            continue
        url = f"{base_url}/{db}"
        if Redis.from_url(url).dbsize() == 0:
            return RedisClaim(url, db, token, registry)
        registry.delete(key)
    raise RuntimeError(f"no empty, unclaimed Redis database on {base_url} (of {count}); free one or set TEST_REDIS_URL")
