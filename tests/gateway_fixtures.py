"""Fixtures for gateway tests: a started sandbox and gateways pointed at it (real HTTP, real Redis)."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest
from redis import Redis

from app.sandbox import SandboxConfig, SandboxServer
from app.wecom.gateway import Gateway
from app.wecom.ratelimit import RateLimits
from app.wecom.retry import RetryPolicy

CORP_ID = "ww5andb0x0000001"
SECRET = "sandbox-contact-secret"
FAST_RETRY = RetryPolicy(attempts=4, base=0.01, factor=2.0, max_delay=0.05, deadline=10.0, settle=0.02)


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


def prospect(sb: SandboxServer, userid: str = "zhangsan", **kwargs: Any) -> dict[str, Any]:
    """Add a prospect to a staff member without firing a callback; return its ids and welcome code."""
    return sb.state.add_prospect(userid, emit=False, **kwargs)
