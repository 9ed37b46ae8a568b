"""/readyz: 200 when the database and Redis answer, 503 naming what failed, never hanging past its timeout."""
from __future__ import annotations

import socket

import pytest

from app.web.factory import create_app
from app.wiring import build_services
from tests.settings import make_settings


def closed_port() -> int:
    """A local TCP port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections (in its backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield sock.getsockname()[1]
    sock.close()


def ready(settings):
    services = build_services(settings)
    try:
        response = create_app(services=services).test_client().get("/readyz")
        return response.status_code, response.get_json()
    finally:
        services.close()


def test_ready_when_database_and_redis_answer(client):
    response = client.get("/readyz")
    assert (response.status_code, response.get_json()) == (200, {"database": "ok", "redis": "ok"})


def test_without_redis_url_only_the_database_is_checked(database_url):
    assert ready(make_settings(database_url, None)) == (200, {"database": "ok"})


def test_redis_down_is_503_naming_redis(database_url):
    status, body = ready(make_settings(database_url, f"redis://127.0.0.1:{closed_port()}/0"))
    assert status == 503
    assert body == {"database": "ok", "redis": "error: ConnectionError"}


def test_database_down_is_503_naming_the_database(redis_url):
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/scrm"
    status, body = ready(make_settings(url, redis_url))
    assert status == 503
    assert body == {"database": "error: OperationalError", "redis": "ok"}


def test_a_redis_that_never_answers_times_out(database_url, silent_server):
    settings = make_settings(database_url, f"redis://127.0.0.1:{silent_server}/0", readyz_timeout=0.3)
    status, body = ready(settings)
    assert status == 503
    assert body["database"] == "ok"
    assert body["redis"] in ("timeout", "error: TimeoutError")
