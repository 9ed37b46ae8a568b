"""The one door to WeCom: typed calls with a shared token, client-side limits and safe retries.

Reads and idempotent writes are retried with backoff inside a deadline. Create calls (mass-send tasks,
Moments tasks, welcome messages) are never repeated after an ambiguous failure before checking whether the
first attempt took effect. Client-side limits wait up to `RateLimits.max_wait`, then raise RateLimited(local=True).
"""
from __future__ import annotations

from typing import Any

from redis import Redis

from app.wecom.alerts import Alerts
from app.wecom.channels import Channels
from app.wecom.directory import Directory
from app.wecom.moments import Moments
from app.wecom.oauth import OAuth
from app.wecom.ratelimit import RateLimits
from app.wecom.sends import Sends
from app.wecom.transport import Transport


class Gateway:
    """Every WeCom API call the product makes, grouped in parts that share one transport."""

    def __init__(self, corp_id: str, secret: str, *, agent_id: int | None = None, **options: Any) -> None:
        """Build the transport (`options`: see Transport) and the parts over it; `agent_id` sends app messages."""
        self.transport = Transport(corp_id, secret, **options)
        self.directory = Directory(self.transport)
        self.alerts = Alerts(self.transport, agent_id)
        self.sends = Sends(self.transport)
        self.moments = Moments(self.transport)
        self.channels = Channels(self.transport)
        self.oauth = OAuth(self.transport)

    @classmethod
    def from_settings(cls, settings: Any, redis: Redis | None = None, **overrides: Any) -> "Gateway":
        """Build the gateway from Settings (optional wecom_* limit fields are read when present)."""
        defaults = RateLimits()
        limits = RateLimits(**{name: getattr(settings, f"wecom_{name}", getattr(defaults, name))
                               for name in defaults.__dataclass_fields__})
        kwargs: dict[str, Any] = dict(api_base=settings.wecom_api_base, agent_id=settings.wecom_agent_id,
                                      timeout=settings.wecom_timeout, redis=redis, limits=limits)
        kwargs.update(overrides)
        return cls(settings.wecom_corp_id, settings.wecom_secret, **kwargs)

    def close(self) -> None:
        """Release the HTTP connections."""
        self.transport.close()


def build_gateway(settings: Any, redis: Redis | None) -> Gateway:
    """Build the process's gateway from its settings (app.wiring calls it once per process)."""
    return Gateway.from_settings(settings, redis)
