"""`scrm worker`: an rq worker with the process's Services installed."""
from __future__ import annotations

import logging

from rq import SimpleWorker

from app.services import build_services, install
from app.settings import Settings
from jobs.queues import QUEUE_NAMES, RedisQueues
from jobs.sweeper import sweep_inbox

log = logging.getLogger(__name__)


def run_worker(settings: Settings, queues: tuple[str, ...] | None = None, burst: bool = False) -> bool:
    """Serve the named queues (fast ones first); sweep stale inbox events first."""
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    services = install(build_services(settings))
    assert isinstance(services.queues, RedisQueues)
    sweep_inbox(services)
    names = queues or QUEUE_NAMES
    worker = SimpleWorker([services.queues.queue(name) for name in names], connection=services.redis)
    log.info("worker listening on %s", ", ".join(names))
    return worker.work(burst=burst, with_scheduler=True)
