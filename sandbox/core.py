"""The core every sandbox part is built on: config, clock, lock, seeded ids, the API call log, rule breaches and
callbacks."""
from __future__ import annotations

import random
import string
import threading
from collections import Counter, deque
from typing import Any

from sandbox.callbacks import CallbackSender, event_xml
from sandbox.clock import SandboxClock
from sandbox.config import SandboxConfig
from sandbox.records import Delivery

ID_ALPHABET = string.ascii_letters + string.digits


def api_path(path: str) -> str:
    """Normalise '/cgi-bin/externalcontact/get' and friends to 'externalcontact/get'."""
    path = path.strip("/")
    return path[len("cgi-bin/"):] if path.startswith("cgi-bin/") else path


class SandboxCore:
    """What the parts of the simulated corp share; one lock guards all of their data."""

    def __init__(self, config: SandboxConfig | None = None, clock: SandboxClock | None = None) -> None:
        self.config = config or SandboxConfig()
        self.clock = clock or SandboxClock()
        if self.config.start_at is not None:
            self.clock.set(self.config.start_at)
        self.lock = threading.RLock()
        self.rng = random.Random(self.config.seed)
        self._violations: Counter[str] = Counter()
        self.violation_log: list[dict[str, Any]] = []
        self.call_log: deque[dict[str, Any]] = deque(maxlen=100_000)
        self.call_counts: Counter[str] = Counter()
        self._sender = CallbackSender(self.config, self.clock.now)

    @property
    def staff(self) -> tuple[str, ...]:
        """Return the corp's staff userids that have customer contact enabled."""
        return self.config.staff

    def new_id(self, prefix: str, length: int = 24) -> str:
        """Return a fresh opaque id drawn from the seeded generator."""
        with self.lock:
            return prefix + "".join(self.rng.choice(ID_ALPHABET) for _ in range(length))

    def violate(self, rule: str, **detail: Any) -> None:
        """Count one breach of a platform rule and keep its detail."""
        with self.lock:
            self._violations[rule] += 1
            self.violation_log.append({"rule": rule, "at": self.clock.now(), **detail})

    @property
    def violations(self) -> dict[str, int]:
        """Return the number of breaches per rule."""
        with self.lock:
            return dict(self._violations)

    def violation_total(self) -> int:
        """Return the number of breaches of all rules."""
        with self.lock:
            return sum(self._violations.values())

    @property
    def calls(self) -> list[dict[str, Any]]:
        """Return the logged API calls, oldest first."""
        with self.lock:
            return list(self.call_log)

    def calls_to(self, path: str) -> int:
        """Return how many times an endpoint was called."""
        with self.lock:
            return self.call_counts[api_path(path)]

    def emit(self, event: str, fields: dict[str, str | int]) -> Delivery:
        """Send one callback event (Event/ChangeType plus fields) to the app."""
        head: dict[str, str | int] = {"ToUserName": self.config.corp_id, "FromUserName": "sys",
                                      "CreateTime": int(self.clock.now()), "MsgType": "event"}
        return self._sender.emit(event, event_xml({**head, **fields}))

    @property
    def callbacks_sent(self) -> list[Delivery]:
        """Return the finished callback deliveries, oldest first."""
        return list(self._sender.deliveries)

    def wait_callbacks(self, n: int, timeout: float = 10.0) -> bool:
        """Block until `n` callback deliveries have finished (or `timeout`); return whether they did."""
        return self._sender.wait(n, timeout)

    def close(self) -> None:
        """Stop the callback workers."""
        self._sender.close()
