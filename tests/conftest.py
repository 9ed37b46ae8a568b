"""Shared fixtures: real PostgreSQL, SQLite and Redis; services fail the run when missing, never skip."""
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import create_engine, text

from app.db import make_engine, upgrade
from app.factory import create_app
from app.models import Base
from app.services import build_services
from app.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ADMIN_TOKEN = "test-admin-token"


@pytest.fixture(scope="session")
def vectors() -> dict:
    """The official WeCom crypto vectors and sample event XML."""
    return json.loads((FIXTURES / "wecom_vectors.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A real Redis database reserved for tests."""
    client = Redis.from_url(TEST_REDIS_URL)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"Redis is not reachable at {TEST_REDIS_URL}: run `make services` ({exc})", pytrace=False)
    return TEST_REDIS_URL


@pytest.fixture
def redis(redis_url: str) -> Redis:
    """A flushed Redis client."""
    client = Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture(scope="session")
def pg_url() -> str:
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


def make_settings(database_url: str, redis_url: str | None, **overrides) -> Settings:
    """Settings for a test: the official vector's corp, token and key unless overridden."""
    values = dict(
        database_url=database_url,
        redis_url=redis_url,
        wecom_corp_id="wx5823bf96d3bd56c7",
        wecom_token="QDG6eK",
        wecom_aes_key="jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
        scrm_admin_token=ADMIN_TOKEN,
        job_retry_intervals=(0, 0),
        enqueue_linger_seconds=0.0,  # tests post one callback at a time; tests/test_relay.py covers the linger
        _env_file=None,
    )
    values.update(overrides)
    return Settings(**values)


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
def world(database_url, redis_url, redis):
    """The sandbox and our app wired together (tests.world); modules needing more set-up define their own."""
    from tests.world import start_world, stop_world  # tests.world imports make_settings from here

    built = start_world(database_url, redis_url, redis)
    yield built
    stop_world(built)
