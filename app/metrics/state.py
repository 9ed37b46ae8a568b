"""State read at scrape time: rq queue depths and registries, open outbox actions and inbox events."""
from __future__ import annotations

import logging
from typing import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from rq.registry import DeferredJobRegistry, FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.services import Services
from app.store.models import InboxEvent, OutboxAction
from jobs.queues import QUEUE_NAMES, RedisQueues

log = logging.getLogger(__name__)

OPEN_ACTIONS = ("pending", "running")
OPEN_EVENTS = ("pending", "processing", "failed")
REGISTRIES = (("started", StartedJobRegistry), ("scheduled", ScheduledJobRegistry),
              ("deferred", DeferredJobRegistry), ("failed", FailedJobRegistry))


class StateCollector(Collector):
    """Gauges computed from Redis and the database on every scrape (one pipeline, two GROUP BY queries)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield the queue, outbox and inbox gauges, and whether each source could be read."""
        up = GaugeMetricFamily("scrm_state_source_up", "1 when the source could be read at this scrape.",
                               labels=["source"])
        if isinstance(self.services.queues, RedisQueues):
            try:
                yield queue_jobs(self.services.queues)
                up.add_metric(["redis"], 1)
            except RedisError as exc:
                log.warning("metrics: cannot read queue depths: %s", type(exc).__name__)
                up.add_metric(["redis"], 0)
        try:
            yield from open_rows(self.services)
            up.add_metric(["database"], 1)
        except SQLAlchemyError as exc:
            log.warning("metrics: cannot read outbox and inbox counts: %s", type(exc).__name__)
            up.add_metric(["database"], 0)
        yield up


def queue_jobs(queues: RedisQueues) -> GaugeMetricFamily:
    """Jobs per rq queue and state: queued (waiting), started, scheduled (delayed retries), deferred, failed."""
    gauge = GaugeMetricFamily("scrm_queue_jobs", "rq jobs by queue and state.", labels=["queue", "state"])
    keys: list[tuple[str, str]] = []
    with queues.redis.pipeline(transaction=False) as pipe:
        for name in QUEUE_NAMES:
            queue = queues.queue(name)
            pipe.llen(queue.key)
            keys.append((name, "queued"))
            for state, registry in REGISTRIES:
                pipe.zcard(registry(queue=queue).key)
                keys.append((name, state))
        counts = pipe.execute()
    for (name, state), count in zip(keys, counts, strict=True):
        gauge.add_metric([name, state], count)
    return gauge


def open_rows(services: Services) -> Iterator[GaugeMetricFamily]:
    """Outbox actions not yet settled by kind and status; inbox events not done by status."""
    actions = GaugeMetricFamily("scrm_outbox_open_actions", "Outbox actions pending or running, by kind and status.",
                                labels=["kind", "status"])
    events = GaugeMetricFamily("scrm_inbox_events", "Inbox events not processed yet (or failed for good), by status.",
                               labels=["status"])
    with services.sessions() as session:
        for kind, status, count in session.execute(
                select(OutboxAction.kind, OutboxAction.status, func.count())
                .where(OutboxAction.status.in_(OPEN_ACTIONS)).group_by(OutboxAction.kind, OutboxAction.status)):
            actions.add_metric([kind, status], count)
        by_status = dict(session.execute(select(InboxEvent.status, func.count())
                                         .where(InboxEvent.status.in_(OPEN_EVENTS)).group_by(InboxEvent.status)).all())
    for status in OPEN_EVENTS:
        events.add_metric([status], by_status.get(status, 0))
    yield actions
    yield events
