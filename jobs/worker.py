"""`scrm worker`: an rq worker with the process's Services installed."""
from __future__ import annotations

import logging
import signal
import threading

from redis import Redis
from redis.exceptions import RedisError
from rq import Worker
from rq.defaults import DEFAULT_WORKER_TTL
from rq.exceptions import DeserializationError
from rq.job import Job
from rq.queue import Queue
from rq.worker import WorkerStatus
from sqlalchemy.exc import SQLAlchemyError

from app.metrics.actions import count_job_failure, count_killed_horse
from app.services import current_services, install
from app.settings import Settings
from app.wiring import build_services
from jobs.pipeline.inbox_sweeper import sweep_inbox
from jobs.queues import QUEUE_NAMES, RedisQueues
from jobs.schedule.ticks import record_killed

log = logging.getLogger(__name__)
FORKED_ENTRIES = frozenset({"jobs.schedule.ticks.run_isolated"})


class ScrmWorker(Worker):
    """Runs jobs in its own process (an event or an action costs milliseconds; a fork per job would double that),
    except the entries in FORKED_ENTRIES: scheduled jobs whose memory grows with the contact base (a nurture tick
    holds every enrolled contact) run in a forked work horse, as rq's standard worker runs every job, so their
    peak goes back to the OS when they end instead of staying as the worker's high-water mark.
    """

    def forks(self, job: Job) -> bool:
        """Whether this job runs in a forked work horse (one rq cannot load fails in place, as before)."""
        try:
            return job.func_name in FORKED_ENTRIES
        except DeserializationError:
            return False

    def execute_job(self, job: Job, queue: Queue) -> None:
        if self.forks(job):
            super().execute_job(job, queue)
            return
        self.prepare_execution(job)
        self.perform_job(job, queue)
        self.set_state(WorkerStatus.IDLE)

    def get_heartbeat_ttl(self, job: Job) -> int:
        if self.forks(job):
            return super().get_heartbeat_ttl(job)
        # No heartbeat while a job runs in this process: the key outlives the job, as SimpleWorker sets it.
        return DEFAULT_WORKER_TTL if job.timeout == -1 else int(job.timeout or DEFAULT_WORKER_TTL) + 60

    def kill_horse(self, sig: signal.Signals = signal.SIGKILL) -> None:
        if self.horse_pid:  # with no horse, rq's stop-job command would signal the worker's own process group
            super().kill_horse(sig)

    def wait_for_horse(self):
        if not self.horse_pid:  # waitpid(0) would reap any child, the rq scheduler process included
            return None, None, None
        return super().wait_for_horse()

    def perform_job(self, job: Job, queue: Queue) -> bool:
        if not self.is_horse:
            return super().perform_job(job, queue)
        services = current_services()
        services.after_fork()
        try:
            return super().perform_job(job, queue)
        finally:  # the horse exits next: say goodbye to the database rather than drop the sockets
            services.engine.dispose()


def horse_killed(job: Job, retpid: int, ret_val: int, rusage) -> None:
    """A work horse died without finishing its job (OOM killer, SIGKILL): count it, and fail the scheduled run it
    was running (rq retries the job; a later attempt records its own outcome)."""
    count_killed_horse(job)
    if job.args:  # every forked entry is a scheduled run's, called with the run id
        try:
            record_killed(current_services(), job.args[0], f"work horse ended with wait status {ret_val}")
        except SQLAlchemyError as exc:  # the worker goes on; the run stays `running` until a retry settles it
            log.warning("cannot record the killed run %s: %s", job.args[0], type(exc).__name__)


def run_worker(settings: Settings, queues: tuple[str, ...] | None = None, burst: bool = False) -> bool:
    """Serve the named queues (fast ones first); sweep stale inbox events first. Commits are not durable unless
    WORKER_DURABLE_COMMITS (see `app.store.db.make_engine`): the callback endpoint's are, since WeCom's ack depends
    on them.

    rq quits when Redis vanishes under a busy worker: we then wait until Redis answers and serve again, so an
    outage needs no restart (the inbox keeps what arrives meanwhile; the sweep picks it up).
    """
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    services = install(build_services(settings, durable_commits=settings.worker_durable_commits))
    assert isinstance(services.queues, RedisQueues)
    redis = services.queues.redis  # services.redis, which a worker has: its queues live there
    names = queues or QUEUE_NAMES
    while True:
        try:
            sweep_inbox(services)
        except SQLAlchemyError as exc:  # the scheduler's sweeps catch up; a worker must start without the database
            log.warning("worker start-up sweep skipped: database unavailable (%s)", type(exc).__name__)
        worker = ScrmWorker([services.queues.queue(name) for name in names], connection=redis,
                            exception_handlers=[count_job_failure], work_horse_killed_handler=horse_killed)
        log.info("worker listening on %s", ", ".join(names))
        try:
            return worker.work(burst=burst, with_scheduler=True)
        except RedisError as exc:
            log.warning("worker lost Redis (%s); serving again once it answers", type(exc).__name__)
        wait_for_redis(redis)


def wait_for_redis(redis: Redis, pause: float = 2.0) -> None:
    """Block until Redis answers PING; meanwhile no job runs, so SIGTERM and SIGINT simply end the process."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)
    waiting = threading.Event()
    while True:
        try:
            redis.ping()
            return
        except RedisError:
            waiting.wait(pause)
