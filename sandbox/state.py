"""The simulated WeCom corp: one core (one lock, one clock) and the parts built on it, each reached by name."""
from __future__ import annotations

from typing import Any

from sandbox.access import Access
from sandbox.archive import Archive
from sandbox.campaigns import Campaigns
from sandbox.clock import SandboxClock
from sandbox.config import SandboxConfig
from sandbox.contacts import Contacts
from sandbox.core import SandboxCore
from sandbox.messaging import Messaging
from sandbox.moments import Moments
from sandbox.tags import Tags


class SandboxState:
    """All of the corp's data and rules, as parts over one core; every public method is thread-safe.

    `config` and `clock` are the core's, at hand for callers.
    """

    def __init__(self, config: SandboxConfig | None = None, clock: SandboxClock | None = None) -> None:
        self.core = SandboxCore(config, clock)
        self.config, self.clock = self.core.config, self.core.clock
        self.access = Access(self.core)
        self.archive = Archive(self.core)
        self.contacts = Contacts(self.core, self.archive, is_tag=lambda tag_id: tag_id in self.tags.tags)
        self.tags = Tags(self.core, self.contacts)
        self.campaigns = Campaigns(self.core, self.contacts)
        self.moments = Moments(self.core, self.contacts, self.tags)
        self.messaging = Messaging(self.core)

    def tick(self) -> None:
        """Apply everything that became due on the sandbox clock (simulated staff confirmations)."""
        with self.core.lock:
            now = self.clock.now()
            self.campaigns.run_due_mass_confirmations(now)
            self.moments.run_due_moment_confirmations(now)

    def advance(self, seconds: float) -> float:
        """Move the sandbox clock forward and apply what became due."""
        now = self.clock.advance(seconds)
        self.tick()
        return now

    def summary(self) -> dict[str, Any]:
        """Return counts of everything in the corp, for the control API."""
        with self.core.lock:
            return {
                "now": self.clock.now(),
                "contacts": len(self.contacts.contacts),
                "relations": len(self.contacts.follows),
                "tags": len(self.tags.tags),
                "mass_tasks": len(self.campaigns.mass_tasks),
                "moment_tasks": len(self.moments.moment_tasks),
                "app_messages": sum(len(v) for v in self.messaging.app_messages.values()),
                "robot_messages": sum(len(v) for v in self.messaging.robot_log.values()),
                "chat_messages": len(self.contacts.chat_messages),
                "callbacks_sent": len(self.core.callbacks_sent),
                "api_calls": sum(self.core.call_counts.values()),
                "violations": self.core.violations,
            }

    def close(self) -> None:
        """Stop the callback workers and any pending archive notification."""
        self.archive.close()
        self.core.close()
