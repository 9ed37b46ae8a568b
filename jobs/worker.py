"""`scrm worker`: an rq worker with the process's Services installed."""
from __future__ import annotations

import logging
import signal
import threading

from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker
from sqlalchemy.exc import SQLAlchemyError

from app.metrics.actions import count_job_failure
from app.services import build_services, install
from app.settings import Settings
from jobs.queues import QUEUE_NAMES, RedisQueues
from jobs.sweeper import sweep_inbox

log = logging.getLogger(__name__)


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
        worker = SimpleWorker([services.queues.queue(name) for name in names], connection=services.redis,
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
