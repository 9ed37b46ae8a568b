"""`scrm worker`: an rq worker with the process's Services installed."""
from __future__ import annotations

import logging
import signal
import threading

from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker, Worker
from rq.job import Job
from rq.queue import Queue
from rq.worker import WorkerStatus
from sqlalchemy.exc import SQLAlchemyError

from app.metrics.actions import count_job_failure
from app.services import build_services, current_services, install
from app.settings import Settings
from jobs.queues import QUEUE_NAMES, RedisQueues
from jobs.sweeper import sweep_inbox

log = logging.getLogger(__name__)
FORKED_ENTRIES = frozenset({"jobs.ticks.run_isolated"})


class ScrmWorker(Worker):
    """Runs jobs in its own process (an event or an action costs milliseconds; a fork per job would double that),
    except the entries in FORKED_ENTRIES: scheduled jobs whose memory grows with the contact base (a nurture tick
    holds every enrolled contact) run in a forked work horse, as rq's standard worker runs every job, so their
    peak goes back to the OS when they end instead of staying as the worker's high-water mark.
    """

    def forks(self, job: Job) -> bool:
        """Whether this job runs in a forked work horse."""
        return job.func_name in FORKED_ENTRIES

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
        return SimpleWorker.get_heartbeat_ttl(self, job)  # no heartbeat while a job runs in this process

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        current_services().after_fork()
        super().main_work_horse(job, queue)

    def perform_job(self, job: Job, queue: Queue) -> bool:
        try:
            return super().perform_job(job, queue)
        finally:
            if self.is_horse:  # the horse exits next: say goodbye to the database rather than drop the sockets
                current_services().engine.dispose()


def run_worker(settings: Settings, queues: tuple[str, ...] | None = None, burst: bool = False) -> bool:
    """Serve the named queues (fast ones first); sweep stale inbox events first. Commits are not durable unless
    WORKER_DURABLE_COMMITS (see `app.db.make_engine`): the callback endpoint's are, since WeCom's ack depends on them.

    rq quits when Redis vanishes under a busy worker: we then wait until Redis answers and serve again, so an
    outage needs no restart (the inbox keeps what arrives meanwhile; the sweep picks it up).
    """
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    services = install(build_services(settings, durable_commits=settings.worker_durable_commits))
    assert isinstance(services.queues, RedisQueues)
    names = queues or QUEUE_NAMES
    while True:
        try:
            sweep_inbox(services)
        except SQLAlchemyError as exc:  # the scheduler's sweeps catch up; a worker must start without the database
            log.warning("worker start-up sweep skipped: database unavailable (%s)", type(exc).__name__)
        worker = ScrmWorker([services.queues.queue(name) for name in names], connection=services.redis,
                            exception_handlers=[count_job_failure])
        log.info("worker listening on %s", ", ".join(names))
        try:
            return worker.work(burst=burst, with_scheduler=True)
        except RedisError as exc:
            log.warning("worker lost Redis (%s); serving again once it answers", type(exc).__name__)
        wait_for_redis(services.redis)


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
