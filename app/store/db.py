"""Engine, sessions and migrations for SQLite and PostgreSQL."""
from __future__ import annotations

import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
IDLE_BEFORE_PING = 1.0


def make_engine(url: str, durable_commits: bool = True) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and enforced foreign keys.

    Without `durable_commits`, PostgreSQL commits do not wait for the WAL flush (`synchronous_commit=off`): a
    database crash, not a restart, may lose the last fraction of a second of commits, never corrupt them. Workers
    use it: their work is idempotent and driven by the inbox and outbox, so lost commits are simply redone.
    """
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        options = {} if durable_commits else {"connect_args": {"options": "-c synchronous_commit=off"}}
        engine = create_engine(parsed, pool_size=10, max_overflow=20, **options)
        _ping_when_idle(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": 30, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Test a pooled connection on checkout only if it sat idle for IDLE_BEFORE_PING seconds or more.

    SQLAlchemy's `pool_pre_ping` pings on every checkout: a round trip per session, a large share of a busy
    worker's. A connection returned a moment ago was alive a moment ago; one that waited longer may have been cut
    by a database restart and is tested (a dead one is replaced, as with pre-ping).
    """
    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - any failure means this connection is unusable
            raise DisconnectionError(f"pooled connection failed its ping: {type(exc).__name__}") from exc


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory used by views, jobs and commands."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> Config:
    """Build an Alembic config that migrates the given engine."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    command.upgrade(alembic_config(engine), revision)
