"""The one place that builds the process's services and connects the layers: the relay to the event jobs, the
outbox to the executors, the gateway and the archive reader to the settings."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.secrets.resolve import secure_settings
from app.services import Executor
from app.settings import Settings
from app.store.content_cache import ContentStore
from app.store.db import make_engine, make_sessions
from app.wecom.archive.build import build_reader
from app.wecom.archive.reader import ArchiveReader
from app.wecom.crypto import CallbackCrypto
from app.wecom.gateway import Gateway, build_gateway
from jobs.pipeline.events import enqueue_events
from jobs.pipeline.executors import EXECUTORS
from jobs.pipeline.relay import EnqueueRelay
from jobs.queues import InlineQueues, Queues, RedisQueues


@dataclass
class WiredServices:
    """The implementation of `app.services.Services`; the gateway and archive reader are built on first use."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    queues: Queues
    redis: Redis | None
    crypto: CallbackCrypto
    content: ContentStore = field(default_factory=ContentStore)
    executors: Mapping[str, Executor] = field(default_factory=lambda: dict(EXECUTORS))
    relay: EnqueueRelay | None = None
    closed: bool = False
    _gateway: Gateway | None = None
    _archive_reader: ArchiveReader | None = None

    @property
    def gateway(self) -> Gateway:
        """The one door to WeCom, built on first use (tokens and rate limits shared through Redis)."""
        if self._gateway is None:
            self._gateway = build_gateway(self.settings, self.redis)
        return self._gateway

    @property
    def archive_reader(self) -> ArchiveReader:
        """The archive reader, built once (the native SDK must be initialised only once)."""
        if self._archive_reader is None:
            self._archive_reader = build_reader(self.settings)
        return self._archive_reader

    def after_fork(self) -> None:
        """In a forked child: leave the parent's pooled database connections and WeCom HTTP session to the parent
        (dropped here, not closed) and open new ones on first use; redis-py does the same for itself."""
        self.engine.dispose(close=False)
        self._gateway = None

    def close(self) -> None:
        """Release connections and stop in-process workers (a second call does nothing)."""
        if self.closed:
            return
        self.closed = True
        if self.relay:
            self.relay.wait_idle()
        if isinstance(self.queues, InlineQueues):
            self.queues.shutdown(drain=True)
        if self._gateway is not None:
            self._gateway.close()
        self.engine.dispose()


def build_services(settings: Settings, durable_commits: bool = True) -> WiredServices:
    """Create the engine, queues and crypto described by the settings (see `make_engine` for durable_commits)."""
    engine = make_engine(settings.database_url, durable_commits)
    settings = secure_settings(settings, engine)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    queues: Queues = (RedisQueues(redis, settings.job_retry_intervals) if redis
                      else InlineQueues(settings.job_retry_intervals))
    crypto = CallbackCrypto(settings.wecom_token, settings.wecom_aes_key, settings.wecom_corp_id)
    content = ContentStore(settings.journey_path, settings.channels_path, staff_path=settings.staff_path)
    services = WiredServices(settings, engine, make_sessions(engine), queues, redis, crypto, content=content)
    linger = settings.enqueue_linger_seconds if redis else 0.0  # batches pay off only against rq's cost per job
    services.relay = EnqueueRelay(lambda ids: enqueue_events(services, ids), linger=linger)
    return services
