"""Shared fixtures: real PostgreSQL, SQLite and Redis; services fail the run when missing, never skip."""
from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import create_engine, text

import app.services as process_services
from app.store.db import make_engine, upgrade
from app.store.models import Base
from app.web.factory import create_app
from app.wecom.gateway import Gateway
from app.wecom.ratelimit import RateLimits
from app.wiring import build_services
from sandbox import SandboxConfig, SandboxServer
from tests.console_world import ConsoleWorld, start_console_world, stop_console_world
from tests.gateway_helpers import CORP_ID, FAST_RETRY, SECRET
from tests.redis_claim import claim_empty_database
from tests.settings import FIXTURES, make_settings
from tests.world import World, start_world, stop_world

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_SERVER_URL = os.environ.get("TEST_REDIS_SERVER", "redis://127.0.0.1:6379")


@pytest.fixture(scope="session")
def vectors() -> dict:
    """The official WeCom crypto vectors and sample event XML."""
    return json.loads((FIXTURES / "wecom_vectors.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis database of this run's own: `TEST_REDIS_URL` when set, else an empty one claimed for the run."""
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    try:
        claim = claim_empty_database(REDIS_SERVER_URL)
    except Exception as exc:  # noqa: BLE001 - any failure here means the run cannot use Redis
        pytest.fail(f"no Redis database for the tests at {REDIS_SERVER_URL}: run `make services` ({exc})",
                    pytrace=False)
    yield claim.url
    claim.release()


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    """A flushed client on the run's Redis database."""
    client = Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated to head."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"scrm_test_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: run `make services` ({exc})", pytrace=False)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """An empty, migrated database: a SQLite file, or the run's PostgreSQL database truncated."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'scrm.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return url
    return request.getfixturevalue("pg_database")


@pytest.fixture
def pg_database(pg_url) -> str:
    """The run's PostgreSQL database, emptied for this test."""
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return pg_url


@pytest.fixture(autouse=True)
def no_leaked_services() -> Iterator[None]:
    """Leave no process-wide Services behind: close any a test's app, worker or command installed and left open."""
    before = process_services.installed()
    yield
    left = process_services.uninstall()
    if left is not None and left is not before:
        left.close()


@pytest.fixture
def services(database_url, redis_url, redis):
    """Services on a real database and real Redis."""
    built = build_services(make_settings(database_url, redis_url))
    yield built
    built.close()


@pytest.fixture
def app(services):
    """The Flask app over the test services."""
    return create_app(services=services)


@pytest.fixture
def client(app):
    """A Flask test client."""
    return app.test_client()


@pytest.fixture
def world(request, database_url, redis_url, redis) -> Iterator[World]:
    """The sandbox and our app wired together; `@pytest.mark.world(...)` passes sandbox settings and set-up options
    (see `tests.world.start_world`). Override `database_url` with indirect parametrization for one database."""
    marker = request.node.get_closest_marker("world")
    built = start_world(database_url, redis_url, redis, **(marker.kwargs if marker else {}))
    yield built
    stop_world(built)


@pytest.fixture
def cw(database_url, redis_url, redis) -> Iterator[ConsoleWorld]:
    """The console world (tests.console_world): two teams' contacts, a real hot lead, users, the app over HTTP."""
    built = start_console_world(database_url, redis_url, redis)
    yield built
    stop_console_world(built)


@pytest.fixture
def sb() -> Iterator[SandboxServer]:
    """A sandbox with default settings over real HTTP."""
    server = SandboxServer.start(SandboxConfig())
    yield server
    server.stop()


@pytest.fixture
def make_gateway(sb: SandboxServer, redis: Redis) -> Iterator[Callable[..., Gateway]]:
    """Build gateways on the sandbox and the test Redis; small backoffs, overridable per test."""
    made: list[Gateway] = []

    def make(**overrides: Any) -> Gateway:
        kwargs: dict[str, Any] = dict(api_base=sb.api_base, agent_id=sb.state.config.agent_id, timeout=2.0,
                                      redis=redis, retry=FAST_RETRY, limits=RateLimits(max_wait=0.0))
        kwargs.update(overrides)
        gateway = Gateway(CORP_ID, SECRET, **kwargs)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.close()


@pytest.fixture
def gw(make_gateway: Callable[..., Gateway]) -> Gateway:
    """A gateway on the sandbox with default test settings."""
    return make_gateway()
