"""Job queues: rq over Redis in production, a small in-process executor for the embedded demo."""
from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from datetime import datetime, timedelta
from typing import Callable, Protocol

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from app.store.models.base import as_utc

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
    """In-process queues for the embedded default: daemon worker threads, retries on timers.

    A process that stops finishes the jobs it is running (for a few seconds at most) and drops those still waiting:
    their inbox and outbox rows stay unfinished and the sweep (`every`) queues them again, here or in the next
    process. The standard library's thread pool would instead run every waiting job before the interpreter exits.
    """

    def __init__(self, retry_intervals: tuple[int, ...], workers: int = 4, stop_grace: float = 5.0) -> None:
        self.retry_intervals = retry_intervals
        self.stop_grace = stop_grace
        self._work: queue.SimpleQueue[tuple[str, Callable, tuple, int] | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._active: set[str] = set()
        self._holds: dict[str, float] = {}
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self.failed: list[tuple[str, str]] = []
        self._threads = [threading.Thread(target=self._serve, name=f"inline-job-{n}", daemon=True)
                         for n in range(workers)]
        for thread in self._threads:
            thread.start()
        atexit.register(self.shutdown)

    def enqueue(self, queue: str, func: Callable, *args, job_id: str | None = None) -> bool:
        """Run the job on a worker thread; a job id already in flight is left alone."""
        key = job_id or f"{func.__name__}:{args}"
        with self._lock:
            if self._stopping.is_set() or key in self._active:
                return False
            self._active.add(key)
        self._work.put((key, func, args, 0))
        return True

    def enqueue_many(self, queue: str, func: Callable, calls: list[tuple[tuple, str]]) -> None:
        """Run each job on a worker thread."""
        for args, job_id in calls:
            self.enqueue(queue, func, *args, job_id=job_id)

    def enqueue_in(self, queue: str, delay: float, func: Callable, *args, job_id: str | None = None) -> None:
        """Run the job on a worker thread after `delay` seconds."""
        self._later(delay, lambda: self.enqueue(queue, func, *args, job_id=job_id))

    def every(self, seconds: float, func: Callable[[], object]) -> None:
        """Call `func` now and then every `seconds` on a timer thread until the queues stop (the in-process sweep)."""
        def run() -> None:
            while not self._stopping.is_set():
                try:
                    func()
                except Exception as exc:  # noqa: BLE001 - a failed sweep is retried at the next interval
                    log.warning("periodic %s failed: %s", getattr(func, "__name__", "job"), type(exc).__name__)
                self._stopping.wait(seconds)

        threading.Thread(target=run, name="inline-every", daemon=True).start()

    def hold(self, name: str, seconds: float) -> bool:
        """Take `name` in this process for `seconds`."""
        now = time.monotonic()
        with self._lock:
            if self._holds.get(name, 0.0) > now:
                return False
            self._holds[name] = now + seconds
            return True

    def oldest_waiting(self, queues: tuple[str, ...]) -> datetime | None:
        """None: the in-process queue does not expose its waiting jobs."""
        return None

    def is_active(self, job_id: str) -> bool:
        """Tell whether the job is in flight."""
        with self._lock:
            return job_id in self._active

    def _later(self, delay: float, call: Callable[[], object]) -> None:
        timer = threading.Timer(delay, call)
        timer.daemon = True
        timer.start()

    def _serve(self) -> None:
        while (item := self._work.get()) is not None and not self._stopping.is_set():
            self._run(*item)

    def _run(self, key: str, func: Callable, args: tuple, attempt: int) -> None:
        try:
            func(*args)
        except Exception as exc:  # noqa: BLE001 - every failure is retried or recorded
            if attempt < len(self.retry_intervals) and not self._stopping.is_set():
                delay = self.retry_intervals[attempt]
                log.warning("job %s failed (attempt %d), retrying in %ss: %s", key, attempt + 1, delay,
                            type(exc).__name__)
                self._later(delay, lambda: self._work.put((key, func, args, attempt + 1)))
                return
            log.error("job %s failed for good: %s", key, type(exc).__name__)
            self.failed.append((key, type(exc).__name__))
        with self._lock:
            self._active.discard(key)
            if not self._active:
                self._idle.notify_all()

    def wait_idle(self) -> None:
        """Block until no job is queued, running or waiting for a retry."""
        with self._idle:
            self._idle.wait_for(lambda: not self._active)

    def shutdown(self, drain: bool = False) -> None:
        """Stop taking jobs, give running ones up to `stop_grace` seconds and drop those still waiting.

        With `drain` (a command that closes its services when done), first run every job already queued.
        """
        if self._stopping.is_set():
            return
        if drain:
            self.wait_idle()
        self._stopping.set()
        atexit.unregister(self.shutdown)
        for _ in self._threads:
            self._work.put(None)
        deadline = time.monotonic() + self.stop_grace
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
