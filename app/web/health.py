"""GET /readyz: can this process reach the database (SELECT 1) and Redis (PING, when REDIS_URL is set)?"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Callable

from flask import Blueprint, current_app, jsonify
from redis import Redis
from sqlalchemy import text

from app.services import Services

bp = Blueprint("health", __name__)
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")


def check(probe: Callable[[], object], timeout: float) -> str:
    """Run `probe` with a deadline: "ok", "timeout", or the error class name (never its message)."""
    future = _pool.submit(probe)
    try:
        future.result(timeout=timeout)
    except FutureTimeout:
        return "timeout"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return f"error: {type(exc).__name__}"
    return "ok"


def _redis_probe(services: Services) -> Callable[[], object]:
    """A PING over a client with short socket timeouts, built once per process."""
    client = current_app.extensions.get("scrm.readyz_redis")
    if client is None:
        timeout = services.settings.readyz_timeout
        client = current_app.extensions["scrm.readyz_redis"] = Redis.from_url(
            services.settings.redis_url or "", socket_timeout=timeout, socket_connect_timeout=timeout)
    return client.ping


@bp.get("/readyz")
def readyz():
    """200 {"database": "ok", "redis": "ok"} when every dependency answers in time, else 503 naming what failed."""
    services = current_app.extensions["scrm"]
    timeout = services.settings.readyz_timeout

    def database() -> None:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    report = {"database": check(database, timeout)}
    if services.settings.redis_url:
        report["redis"] = check(_redis_probe(services), timeout)
    ready = all(value == "ok" for value in report.values())
    return jsonify(report), 200 if ready else 503
