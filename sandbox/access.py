"""Access tokens, the API call log, per-endpoint frequency limits and injected faults."""
from __future__ import annotations

import secrets
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from sandbox.core import SandboxCore
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


def api_path(path: str) -> str:
    """Normalise '/cgi-bin/externalcontact/get' and friends to 'externalcontact/get'."""
    path = path.strip("/")
    return path[len("cgi-bin/"):] if path.startswith("cgi-bin/") else path


class AccessMixin(SandboxCore):
    """Tokens, call accounting, frequency limits and faults of the sandbox."""

    def __init__(self) -> None:
        self.tokens: dict[str, float] = {}
        self._calls: deque[dict[str, Any]] = deque(maxlen=100_000)
        self.call_counts: Counter[str] = Counter()
        self.faults: list[Fault] = []
        self._api_rate = WindowCounter(60.0)

    def issue_token(self, corpid: str | None, secret: str | None) -> dict[str, Any]:
        """Answer gettoken: a fresh token valid for token_ttl sandbox seconds."""
        if corpid != self.config.corp_id:
            raise ApiError(40013)
        if secret not in self.config.secrets:
            raise ApiError(40001, "invalid credential, corpsecret is wrong")
        token = secrets.token_urlsafe(48)
        with self.lock:
            self.tokens[token] = self.clock.now() + self.config.token_ttl
        return {"access_token": token, "expires_in": self.config.token_ttl}

    def check_token(self, token: str | None) -> None:
        """Raise the WeCom error for a missing, unknown or expired access token."""
        if not token:
            raise ApiError(41001)
        with self.lock:
            expires_at = self.tokens.get(token)
        if expires_at is None:
            raise ApiError(40014)
        if self.clock.now() >= expires_at:
            raise ApiError(42001)

    def expire_tokens(self) -> int:
        """Expire every issued token at once (WeCom may revoke tokens early); return how many."""
        with self.lock:
            now = self.clock.now()
            for token in self.tokens:
                self.tokens[token] = min(self.tokens[token], now)
            return len(self.tokens)

    def record_call(self, path: str, method: str) -> dict[str, Any]:
        """Log one API call and enforce the per-endpoint per-minute frequency limit."""
        path = api_path(path)
        with self.lock:
            now = self.clock.now()
            entry = {"path": path, "method": method, "at": now, "errcode": None}
            self._calls.append(entry)
            self.call_counts[path] += 1
            if self._api_rate.add(path, now) > self.config.api_per_minute:
                self.violate("api_rate", path=path)
                entry["errcode"] = 45009
                raise ApiError(45009)
        return entry

    @property
    def calls(self) -> list[dict[str, Any]]:
        """Return the logged API calls, oldest first."""
        with self.lock:
            return list(self._calls)

    def calls_to(self, path: str) -> int:
        """Return how many times an endpoint was called."""
        with self.lock:
            return self.call_counts[api_path(path)]

    def inject_fault(self, path: str, *, errcode: int | None = None,
                     http_status: int | None = None, delay: float | None = None,
                     times: int = 1, after_effect: bool = False) -> Fault:
        """Make the next `times` calls of `path` fail: errcode, HTTP status and/or delay (a timeout)."""
        if errcode is None and http_status is None and delay is None:
            raise ValueError("a fault needs an errcode, an http_status or a delay")
        fault = Fault(api_path(path), errcode, http_status, delay, times, after_effect)
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, path: str) -> Fault | None:
        """Consume one use of the first fault planned for `path`."""
        path = api_path(path)
        with self.lock:
            for fault in self.faults:
                if fault.path == path and fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def clear_faults(self) -> None:
        """Remove every planned fault."""
        with self.lock:
            self.faults.clear()
