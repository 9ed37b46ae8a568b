"""Fault tests run the real processes on a private Redis and a private PostgreSQL cluster they may break."""
from __future__ import annotations

import shutil
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from app.store.db import make_engine, upgrade
from bench.system import System, running_system
from tests.faults.servers import PostgresCluster, RedisServer

# Short timings so each fault plays out in seconds; production defaults are in docs/faults.md.
FAST_ENV = {
    "LOG_LEVEL": "WARNING",
    "SWEEP_INTERVAL_SECONDS": "2",
    "SCHEDULER_LEADER_TTL": "3",
    "INBOX_STALE_AFTER": "5",
    "ACTION_STALE_AFTER": "4",
}


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A private PostgreSQL cluster for the session (never the shared server on :5432).

    Its directory is outside pytest's private temp dir, which the `postgres` OS user could not enter.
    """
    cluster = PostgresCluster(Path(tempfile.mkdtemp(prefix="scrm-faults-pg-")))
    cluster.init()
    cluster.start()
    yield cluster
    try:
        cluster.stop("immediate")
    finally:
        shutil.rmtree(cluster.root, ignore_errors=True)


@pytest.fixture
def fault_db(postgres: PostgresCluster) -> Iterator[str]:
    """A fresh, migrated database on the private cluster."""
    name = f"faults_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(postgres.url(name))
    upgrade(engine)
    engine.dispose()
    admin.dispose()
    yield postgres.url(name)
    admin = create_engine(postgres.url(), isolation_level="AUTOCOMMIT")  # the server may have restarted meanwhile
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server on a free port, without persistence."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fault_system(fault_db: str, private_redis: RedisServer, tmp_path: Path):
    """Start the whole system on the private servers: `with fault_system(workers=…, env=…) as system`."""

    @contextmanager
    def start(env: dict[str, str] | None = None, **options) -> Iterator[System]:
        logs = tmp_path / "logs"
        logs.mkdir(exist_ok=True)
        with running_system(fault_db, private_redis.url, env={**FAST_ENV, **(env or {})}, log_dir=logs,
                            **options) as system:
            try:
                yield system
            except BaseException:
                _print_logs(logs)
                raise

    return start


def _print_logs(logs: Path) -> None:
    """Show the tail of every process log when a fault test fails (pytest prints captured output then)."""
    for path in sorted(logs.glob("*.log")):
        print(f"----- {path.name} -----\n{path.read_text(errors='replace')[-3000:]}")
