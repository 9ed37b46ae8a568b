"""What every view, job and command is handed (the `Services` protocol), and the process's installed one.

`app.wiring` builds the only implementation; this module imports no layer above it, so anything may type against it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol

from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.settings import Settings
from app.store.content_cache import ContentStore
from app.wecom.crypto import CallbackCrypto
from jobs.pipeline.relay import EnqueueRelay
from jobs.queues import Queues

if TYPE_CHECKING:
    from app.store.models import OutboxAction
    from app.wecom.archive.reader import ArchiveReader
    from app.wecom.gateway import Gateway

Executor = Callable[["Services", Session, "OutboxAction"], "dict[str, Any] | None"]


class Services(Protocol):
    """Everything a view, job or command needs, built once per process from Settings."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    queues: Queues
    redis: Redis | None
    crypto: CallbackCrypto
    content: ContentStore
    executors: Mapping[str, Executor]
    relay: EnqueueRelay | None

    @property
    def gateway(self) -> Gateway:
        """The one door to WeCom."""

    @property
    def archive_reader(self) -> ArchiveReader:
        """The session-archive reader named by ARCHIVE_SOURCE (built once: the native SDK initialises once)."""

    def after_fork(self) -> None:
        """In a forked child: drop the parent's connections and open new ones on first use."""

    def close(self) -> None:
        """Release connections and stop in-process workers."""


_current: Services | None = None


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
