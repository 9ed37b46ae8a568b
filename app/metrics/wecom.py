"""Counting WeCom API calls and their failures per endpoint (used by the gateway's HTTP client)."""
from __future__ import annotations

import contextlib
from typing import Iterator

from app.metrics.registry import WECOM_API_CALLS, WECOM_API_ERRORS
from app.wecom.errors import WeComError


@contextlib.contextmanager
def counted_call(endpoint: str) -> Iterator[None]:
    """Count one HTTP call to `endpoint`, and its failure by error class when it raises."""
    WECOM_API_CALLS.labels(endpoint).inc()
    try:
        yield
    except WeComError as err:
        WECOM_API_ERRORS.labels(endpoint, type(err).__name__).inc()
        raise
