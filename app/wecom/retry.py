"""Retry policy: exponential backoff with jitter inside a total deadline, and the create-call rule."""
from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

from app.wecom.errors import OutcomeUnknown, RateLimited, Transient, WeComError

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; `settle` is the pause before checking an ambiguous create."""

    attempts: int = 4
    base: float = 0.5
    factor: float = 2.0
    max_delay: float = 30.0
    deadline: float = 60.0
    settle: float = 1.0

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Return the pause before retry number `retry` (0-based): half fixed, half random."""
        ceiling = min(self.max_delay, self.base * self.factor ** retry)
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


class Retrier:
    """Run calls under a RetryPolicy with an injectable sleep and clock."""

    def __init__(self, policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time, rng: random.Random | None = None) -> None:
        self.policy = policy
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()

    def _stop_at(self, deadline: float | None) -> float:
        return min(self.clock() + self.policy.deadline, deadline if deadline is not None else math.inf)

    def _pause(self, err: WeComError, retry: int, stop_at: float) -> None:
        """Sleep before the next attempt, or raise `err` when attempts or time have run out."""
        if isinstance(err, RateLimited) and err.local:
            raise err  # the limiter already waited as long as it may
        wait = self.policy.backoff(retry, self.rng)
        if isinstance(err, RateLimited) and err.retry_after:
            wait = max(wait, err.retry_after)
        if retry + 1 >= self.policy.attempts or self.clock() + wait > stop_at:
            raise err
        log.info("retrying %s in %.2fs after errcode %s (retry %d)", err.endpoint, wait, err.errcode, retry + 1)
        self.sleep(wait)

    def run(self, fn: Callable[[], T], *, safe: bool = True, deadline: float | None = None) -> T:
        """Call `fn`, retrying retryable errors; an ambiguous failure is retried only when `safe`."""
        stop_at = self._stop_at(deadline)
        retry = 0
        while True:
            try:
                return fn()
            except (RateLimited, Transient) as err:
                if isinstance(err, Transient) and err.ambiguous and not safe:
                    raise
                self._pause(err, retry, stop_at)
            retry += 1

    def run_create(self, attempt: Callable[[bool], T], lookup: Callable[[float], T | None] | None, *,
                   deadline: float | None = None) -> T:
        """Call a create `attempt`; after an ambiguous failure, `lookup(since)` must come up empty before a repeat.

        `attempt` receives whether an earlier attempt failed ambiguously; `lookup=None` means a repeat checks
        itself (a single-use code). A lookup that fails raises OutcomeUnknown: we never repeat blind.
        """
        since = self.clock()
        stop_at = self._stop_at(deadline)
        ambiguous = False
        retry = 0
        while True:
            try:
                return attempt(ambiguous)
            except (RateLimited, Transient) as err:
                if isinstance(err, Transient) and err.ambiguous:
                    ambiguous = True
                    if lookup is not None:
                        found = self._look(lookup, since, err)
                        if found is not None:
                            return found
                try:
                    self._pause(err, retry, stop_at)
                except WeComError:
                    if ambiguous and lookup is not None:  # a late request may still land: caller must check
                        raise OutcomeUnknown(err.errcode, err.errmsg, err.endpoint, since=since,
                                             http_status=err.http_status) from err
                    raise
            retry += 1

    def _look(self, lookup: Callable[[float], T | None], since: float, err: Transient) -> T | None:
        """Wait for a late request to land, then search for it; any failure means the outcome is unknown."""
        if self.policy.settle > 0:
            self.sleep(self.policy.settle)
        try:
            found = lookup(since)
        except WeComError as look_err:
            log.warning("cannot check whether %s took effect: errcode %s", err.endpoint, look_err.errcode)
            raise OutcomeUnknown(err.errcode, err.errmsg, err.endpoint, since=since,
                                 http_status=err.http_status) from look_err
        log.info("after an ambiguous failure of %s the lookup %s", err.endpoint,
                 "found the task" if found is not None else "found nothing")
        return found
