"""The plumbing every part of the gateway shares: the client, client-side limits, retries and attempts."""
from __future__ import annotations

import random
import time
from typing import Any, Callable

from redis import Redis

from app.wecom.client import WeComClient
from app.wecom.ratelimit import Limiter, RateLimits
from app.wecom.retry import Retrier, RetryPolicy


class Transport:
    """One token, one limiter and one retrier behind every call the gateway's parts make."""

    def __init__(self, corp_id: str, secret: str, *, api_base: str = "https://qyapi.weixin.qq.com/cgi-bin/",
                 timeout: float = 5.0, redis: Redis | None = None, limiter: Limiter | None = None,
                 limits: RateLimits | None = None, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
                 lookup_slack: float = 120.0, rng: random.Random | None = None) -> None:
        self.corp_id = corp_id
        self.timeout = timeout
        self.clock = clock
        self.lookup_slack = lookup_slack
        self.client = WeComClient(corp_id, secret, api_base=api_base, timeout=timeout, redis=redis, clock=clock)
        self.limiter = limiter or Limiter.create(redis, limits, sleep)
        self.retrier = Retrier(retry or RetryPolicy(), sleep, clock, rng)

    def close(self) -> None:
        """Release the HTTP connections."""
        self.client._http.close()

    def call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
             data: dict[str, Any] | None = None, timeout: float | None = None) -> dict[str, Any]:
        """Make one rate-limited attempt (token refresh included), never retried."""
        self.limiter.api(self.corp_id, path)
        return self.client.call(method, path, params=params, data=data, timeout=timeout)

    def read(self, method: str, path: str, *, params: dict[str, Any] | None = None,
             data: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call a read, retrying every retryable failure."""
        return self.retrier.run(lambda: self.call(method, path, params=params, data=data))

    def post_read(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        """POST a read (the shape `find` pages through)."""
        return self.read("post", path, data=data)

    def write(self, path: str, data: dict[str, Any], *, safe: bool = True) -> dict[str, Any]:
        """POST a write; ambiguous failures are retried only when repeating it is harmless (`safe`)."""
        return self.retrier.run(lambda: self.call("post", path, data=data), safe=safe)
