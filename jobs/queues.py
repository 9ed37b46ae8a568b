"""Job queues: rq over Redis in production, a small in-process executor for the embedded demo."""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Protocol

from redis import Redis
from rq import Queue, Retry
from rq.job import Job, JobStatus
from rq.exceptions import NoSuchJobError
from app.models.base import as_utc

log = logging.getLogger(__name__)

QUEUE_NAMES = ("welcome", "callbacks", "wecom", "default")
ACTIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


class Queues(Protocol):
    """Where jobs go: enqueue ids, never payloads."""

    def enqueue(self, queue: str, func: Callable, *args, job_id: str | None = None) -> bool:
        """Queue `func(*args)` on the named queue."""

    def enqueue_many(self, queue: str, func: Callable, calls: list[tuple[tuple, str]]) -> None:
        """Queue `func(*args)` for each (args, job_id), in one round trip where possible."""

    def enqueue_in(self, queue: str, delay: float, func: Callable, *args, job_id: str | None = None) -> None:
        """Queue `func(*args)` to run after `delay` seconds."""

    def is_active(self, job_id: str) -> bool:
        """Tell whether a job with this id is queued or running."""

    def hold(self, name: str, seconds: float) -> bool:
        """Take `name` for `seconds` unless someone holds it already; tell whether we got it."""

    def oldest_waiting(self, queues: tuple[str, ...]) -> datetime | None:
        """When the oldest job still waiting (not started) in these queues was queued; None when none waits."""


class RedisQueues:
    """rq queues on one Redis connection, with retries and backoff on every job."""

    def __init__(self, redis: Redis, retry_intervals: tuple[int, ...]) -> None:
        self.redis = redis
        self.retry_intervals = list(retry_intervals)
        self._queues = {name: Queue(name, connection=redis) for name in QUEUE_NAMES}

    def queue(self, name: str) -> Queue:
        """Return the rq queue with this name."""
        return self._queues[name]

    def enqueue(self, queue: str, func: Callable, *args, job_id: str | None = None) -> bool:
        """Queue a job (the caller checks is_active where a duplicate is possible)."""
        self._queues[queue].enqueue(func, *args, job_id=job_id, **self._job_options())
        return True

    def enqueue_many(self, queue: str, func: Callable, calls: list[tuple[tuple, str]]) -> None:
        """Queue a batch of jobs in one pipeline."""
        options = self._job_options()
        data = [Queue.prepare_data(func, args, job_id=job_id, **options) for args, job_id in calls]
        with self.redis.pipeline() as pipe:
            self._queues[queue].enqueue_many(data, pipeline=pipe)
            pipe.execute()

    def enqueue_in(self, queue: str, delay: float, func: Callable, *args, job_id: str | None = None) -> None:
        """Schedule a job (run by a worker's scheduler, which `scrm worker` starts)."""
        self._queues[queue].enqueue_in(timedelta(seconds=delay), func, *args, job_id=job_id, **self._job_options())

    def _job_options(self) -> dict:
        retry = Retry(max=len(self.retry_intervals), interval=self.retry_intervals) if self.retry_intervals else None
        return {"retry": retry, "failure_ttl": 7 * 86400, "result_ttl": 600}

    def hold(self, name: str, seconds: float) -> bool:
        """Take `name` in Redis for `seconds` (SET NX PX)."""
        return bool(self.redis.set(f"scrm:hold:{name}", b"1", nx=True, px=max(1, int(seconds * 1000))))

    def oldest_waiting(self, queues: tuple[str, ...]) -> datetime | None:
        """The enqueue time of the job at the head of each queue (rq keeps them in order), the earliest of them."""
        times = []
        for name in queues:
            for job_id in self._queues[name].get_job_ids(0, 1):
                try:
                    enqueued_at = Job.fetch(job_id, connection=self.redis).enqueued_at
                except NoSuchJobError:
                    continue
                if enqueued_at is not None:
                    times.append(as_utc(enqueued_at))
        return min(times, default=None)

    def is_active(self, job_id: str) -> bool:
        """Tell whether the job exists and is queued, scheduled or running."""
        try:
            return Job.fetch(job_id, connection=self.redis).get_status() in ACTIVE
        except NoSuchJobError:
            return False


class InlineQueues:
    """In-process queues for the embedded demo: a thread pool, retries on timers."""

    def __init__(self, retry_intervals: tuple[int, ...], workers: int = 4) -> None:
        self.retry_intervals = retry_intervals
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inline-job")
        self._active: set[str] = set()
        self._holds: dict[str, float] = {}
        self._lock = threading.Lock()
        self.failed: list[tuple[str, str]] = []

    def enqueue(self, queue: str, func: Callable, *args, job_id: str | None = None) -> bool:
        """Run the job on the pool; a job id already in flight is left alone."""
        key = job_id or f"{func.__name__}:{args}"
        with self._lock:
            if key in self._active:
                return False
            self._active.add(key)
        self._pool.submit(self._run, key, func, args, 0)
        return True

    def enqueue_many(self, queue: str, func: Callable, calls: list[tuple[tuple, str]]) -> None:
        """Run each job on the pool."""
        for args, job_id in calls:
            self.enqueue(queue, func, *args, job_id=job_id)

    def enqueue_in(self, queue: str, delay: float, func: Callable, *args, job_id: str | None = None) -> None:
        """Run the job on the pool after `delay` seconds."""
        timer = threading.Timer(delay, lambda: self.enqueue(queue, func, *args, job_id=job_id))
        timer.daemon = True
        timer.start()

    def hold(self, name: str, seconds: float) -> bool:
        """Take `name` in this process for `seconds`."""
        now = time.monotonic()
        with self._lock:
            if self._holds.get(name, 0.0) > now:
                return False
            self._holds[name] = now + seconds
            return True

    def oldest_waiting(self, queues: tuple[str, ...]) -> datetime | None:
        """None: the in-process pool does not expose its waiting jobs."""
        return None

    def is_active(self, job_id: str) -> bool:
        """Tell whether the job is in flight."""
        with self._lock:
            return job_id in self._active

    def _run(self, key: str, func: Callable, args: tuple, attempt: int) -> None:
        try:
            func(*args)
        except Exception as exc:  # noqa: BLE001 - every failure is retried or recorded
            if attempt < len(self.retry_intervals):
                delay = self.retry_intervals[attempt]
                log.warning("job %s failed (attempt %d), retrying in %ss: %s", key, attempt + 1, delay, type(exc).__name__)
                timer = threading.Timer(delay, lambda: self._pool.submit(self._run, key, func, args, attempt + 1))
                timer.daemon = True
                timer.start()
                return
            log.error("job %s failed for good: %s", key, type(exc).__name__)
            self.failed.append((key, type(exc).__name__))
        with self._lock:
            self._active.discard(key)

    def shutdown(self) -> None:
        """Wait for running jobs and stop the pool."""
        self._pool.shutdown(wait=True, cancel_futures=False)
