"""Per-client hit limits for public endpoints, shared across processes through Redis (in memory without it)."""
from __future__ import annotations

import logging

from flask import current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.services import Services

log = logging.getLogger(__name__)


def allowed(services: Services, name: str, rate: str, *keys: str) -> bool:
    """Count one hit of `name` for `keys`; False once over `rate` (e.g. "60/minute"). A limiter outage allows.

    The limiter lives in the Flask app's extensions, built on first use."""
    limiter = current_app.extensions.get("scrm.throttle")
    if limiter is None:
        storage = storage_from_string(services.settings.redis_url or "memory://")
        limiter = current_app.extensions["scrm.throttle"] = MovingWindowRateLimiter(storage)
    try:
        return limiter.hit(parse(rate), f"scrm-{name}", *keys)
    except Exception as exc:  # noqa: BLE001 - a limiter outage must not lock people out
        log.warning("%s rate limiter unavailable: %s", name, type(exc).__name__)
        return True
