"""The access part: access tokens, per-endpoint frequency limits (over the core's call log) and injected faults."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sandbox.core import SandboxCore, api_path
from sandbox.errors import ApiError
from sandbox.rules import WindowCounter


@dataclass
class Fault:
    """A planned misbehaviour of one endpoint for its next `times` calls."""

    path: str
    errcode: int | None = None
    http_status: int | None = None
    delay: float | None = None
    times: int = 1
    after_effect: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Return the fault as JSON-ready data."""
        return dict(self.__dict__)


class Access:
    """Tokens, call logging under the per-minute limit, and planned faults."""

    def __init__(self, core: SandboxCore) -> None:
        self.core = core
        self.tokens: dict[str, float] = {}
        self.faults: list[Fault] = []
        self._api_rate = WindowCounter(60.0)

    def issue_token(self, corpid: str | None, secret: str | None) -> dict[str, Any]:
        """Answer gettoken: a fresh token valid for token_ttl sandbox seconds."""
        if corpid != self.core.config.corp_id:
            raise ApiError(40013)
        if secret not in self.core.config.secrets:
            raise ApiError(40001, "invalid credential, corpsecret is wrong")
        token = secrets.token_urlsafe(48)
        with self.core.lock:
            self.tokens[token] = self.core.clock.now() + self.core.config.token_ttl
        return {"access_token": token, "expires_in": self.core.config.token_ttl}

    def check_token(self, token: str | None) -> None:
        """Raise the WeCom error for a missing, unknown or expired access token."""
        if not token:
            raise ApiError(41001)
        with self.core.lock:
            expires_at = self.tokens.get(token)
        if expires_at is None:
            raise ApiError(40014)
        if self.core.clock.now() >= expires_at:
            raise ApiError(42001)

    def expire_tokens(self) -> int:
        """Expire every issued token at once (WeCom may revoke tokens early); return how many."""
        with self.core.lock:
            now = self.core.clock.now()
            for token in self.tokens:
                self.tokens[token] = min(self.tokens[token], now)
            return len(self.tokens)

    def record_call(self, path: str, method: str) -> dict[str, Any]:
        """Log one API call and enforce the per-endpoint per-minute frequency limit."""
        path = api_path(path)
        with self.core.lock:
            now = self.core.clock.now()
            entry = {"path": path, "method": method, "at": now, "errcode": None}
            self.core.call_log.append(entry)
            self.core.call_counts[path] += 1
            if self._api_rate.add(path, now) > self.core.config.api_per_minute:
                self.core.violate("api_rate", path=path)
                entry["errcode"] = 45009
                raise ApiError(45009)
        return entry

    def inject_fault(self, path: str, *, errcode: int | None = None,
                     http_status: int | None = None, delay: float | None = None,
                     times: int = 1, after_effect: bool = False) -> Fault:
        """Make the next `times` calls of `path` fail: errcode, HTTP status and/or delay (a timeout)."""
        if errcode is None and http_status is None and delay is None:
            raise ValueError("a fault needs an errcode, an http_status or a delay")
        fault = Fault(api_path(path), errcode, http_status, delay, times, after_effect)
        with self.core.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, path: str) -> Fault | None:
        """Consume one use of the first fault planned for `path`."""
        path = api_path(path)
        with self.core.lock:
            for fault in self.faults:
                if fault.path == path and fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def clear_faults(self) -> None:
        """Remove every planned fault."""
        with self.core.lock:
            self.faults.clear()
