"""The simulated WeCom corp: one object, one lock, every platform rule reading one clock."""
from __future__ import annotations

import random
import string
import threading
from collections import Counter
from typing import Any

from app.sandbox.access import AccessMixin
from app.sandbox.archive import ArchiveMixin
from app.sandbox.callbacks import CallbackSender, event_xml
from app.sandbox.campaigns import CampaignsMixin
from app.sandbox.clock import SandboxClock
from app.sandbox.config import SandboxConfig
from app.sandbox.contacts import ContactsMixin
from app.sandbox.messaging import MessagingMixin
from app.sandbox.moments import MomentsMixin
from app.sandbox.records import Delivery
from app.sandbox.tags import TagsMixin

ID_ALPHABET = string.ascii_letters + string.digits


class SandboxState(AccessMixin, ContactsMixin, TagsMixin, CampaignsMixin, MomentsMixin, MessagingMixin,
                   ArchiveMixin):
    """All of the corp's data and rules; every public method is thread-safe."""

    def __init__(self, config: SandboxConfig | None = None, clock: SandboxClock | None = None) -> None:
        self.config = config or SandboxConfig()
        self.clock = clock or SandboxClock()
        if self.config.start_at is not None:
            self.clock.set(self.config.start_at)
        self.lock = threading.RLock()
        self.rng = random.Random(self.config.seed)
        self._violations: Counter[str] = Counter()
        self.violation_log: list[dict[str, Any]] = []
        self._sender = CallbackSender(self.config, self.clock.now)
        AccessMixin.__init__(self)
        ContactsMixin.__init__(self)
        TagsMixin.__init__(self)
        CampaignsMixin.__init__(self)
        MomentsMixin.__init__(self)
        MessagingMixin.__init__(self)
        ArchiveMixin.__init__(self)

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

    def emit(self, event: str, fields: dict[str, object]) -> Delivery:
        """Send one callback event (Event/ChangeType plus fields) to the app."""
        head: dict[str, object] = {"ToUserName": self.config.corp_id, "FromUserName": "sys",
                                   "CreateTime": int(self.clock.now()), "MsgType": "event"}
        return self._sender.emit(event, event_xml({**head, **fields}))

    @property
    def callbacks_sent(self) -> list[Delivery]:
        """Return the finished callback deliveries, oldest first."""
        return list(self._sender.deliveries)

    def wait_callbacks(self, n: int, timeout: float = 10.0) -> bool:
        """Block until `n` callback deliveries have finished (or `timeout`); return whether they did."""
        return self._sender.wait(n, timeout)

    def tick(self) -> None:
        """Apply everything that became due on the sandbox clock (simulated staff confirmations)."""
        with self.lock:
            now = self.clock.now()
            self.run_due_mass_confirmations(now)
            self.run_due_moment_confirmations(now)

    def advance(self, seconds: float) -> float:
        """Move the sandbox clock forward and apply what became due."""
        now = self.clock.advance(seconds)
        self.tick()
        return now

    def summary(self) -> dict[str, Any]:
        """Return counts of everything in the corp, for the control API."""
        with self.lock:
            return {
                "now": self.clock.now(),
                "contacts": len(self.contacts),
                "relations": len(self.follows),
                "tags": len(self.tags),
                "mass_tasks": len(self.mass_tasks),
                "moment_tasks": len(self.moment_tasks),
                "app_messages": sum(len(v) for v in self.app_messages.values()),
                "robot_messages": sum(len(v) for v in self.robot_log.values()),
                "chat_messages": len(self.chat_messages),
                "callbacks_sent": len(self._sender.deliveries),
                "api_calls": sum(self.call_counts.values()),
                "violations": dict(self._violations),
            }

    def close(self) -> None:
        """Stop the callback workers and any pending archive notification."""
        self.archive_close()
        self._sender.close()
