"""The simulated WeCom corp: one object, one lock, every platform rule reading one clock."""
from __future__ import annotations

from typing import Any

from sandbox.access import AccessMixin
from sandbox.archive import ArchiveMixin
from sandbox.campaigns import CampaignsMixin
from sandbox.clock import SandboxClock
from sandbox.config import SandboxConfig
from sandbox.contacts import ContactsMixin
from sandbox.core import SandboxCore
from sandbox.messaging import MessagingMixin
from sandbox.moments import MomentsMixin
from sandbox.tags import TagsMixin


class SandboxState(AccessMixin, MomentsMixin, CampaignsMixin, TagsMixin, ContactsMixin, MessagingMixin,
                   ArchiveMixin):
    """All of the corp's data and rules; every public method is thread-safe."""

    def __init__(self, config: SandboxConfig | None = None, clock: SandboxClock | None = None) -> None:
        SandboxCore.__init__(self, config, clock)
        AccessMixin.__init__(self)
        ContactsMixin.__init__(self)
        TagsMixin.__init__(self)
        CampaignsMixin.__init__(self)
        MomentsMixin.__init__(self)
        MessagingMixin.__init__(self)
        ArchiveMixin.__init__(self)

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
