"""The process's one Services object: built once by create_app or the worker, never at import."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.settings import Settings
from app.store.content_cache import ContentStore
from app.store.db import make_engine, make_sessions
from app.wecom.crypto import CallbackCrypto
from jobs.pipeline.relay import EnqueueRelay
from jobs.queues import InlineQueues, Queues, RedisQueues


@dataclass
class Services:
    """Everything a view, job or command needs, built from Settings."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    queues: Queues
    redis: Redis | None
    crypto: CallbackCrypto
    relay: EnqueueRelay | None = None
    content: ContentStore = field(default_factory=ContentStore)
    extras: dict[str, Any] = field(default_factory=dict)
    _gateway: Any = None
    closed: bool = False

    @property
    def gateway(self):
        """The one door to WeCom, built on first use (tokens and rate limits shared through Redis)."""
        if self._gateway is None:
            from app.wecom.gateway import build_gateway

            self._gateway = build_gateway(self.settings, self.redis)
        return self._gateway

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


_current: Services | None = None


def build_services(settings: Settings, durable_commits: bool = True) -> Services:
    """Create the engine, queues and crypto described by the settings (see `make_engine` for durable_commits)."""
    from app.secrets.resolve import secure_settings
    from jobs.pipeline.events import enqueue_events

    engine = make_engine(settings.database_url, durable_commits)
    settings = secure_settings(settings, engine)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    queues: Queues = (RedisQueues(redis, settings.job_retry_intervals) if redis
                      else InlineQueues(settings.job_retry_intervals))
    crypto = CallbackCrypto(settings.wecom_token, settings.wecom_aes_key, settings.wecom_corp_id)
    content = ContentStore(settings.journey_path, settings.channels_path)
    services = Services(settings, engine, make_sessions(engine), queues, redis, crypto, content=content)
    linger = settings.enqueue_linger_seconds if redis else 0.0  # batches pay off only against rq's cost per job
    services.relay = EnqueueRelay(lambda ids: enqueue_events(services, ids), linger=linger)
    return services


def install(services: Services) -> Services:
    """Make `services` the process's current Services (used by rq jobs)."""
    global _current
    _current = services
    return services


def installed() -> Services | None:
    """Return the process's current Services, if any."""
    return _current


def uninstall() -> Services | None:
    """Forget the process's current Services (the caller closes it) and return it."""
    global _current
    left, _current = _current, None
    return left


def current_services() -> Services:
    """Return the process's Services; rq workers install theirs at start-up."""
    if _current is None:
        raise RuntimeError("no Services installed: start through create_app or `scrm worker`")
    return _current
