"""The sandbox clock: real time plus an offset that a scenario sets when it starts and moves forward as it runs."""
from __future__ import annotations

import threading
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class SandboxClock:
    """Epoch-seconds clock that runs with real time, starts at any instant a scenario sets and jumps forward."""

    def __init__(self, offset: float = 0.0) -> None:
        self._offset = offset
        self._lock = threading.Lock()

    def now(self) -> float:
        """Return the sandbox time in epoch seconds."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward by `seconds` and return the new time."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += seconds
            return time.time() + self._offset

    def set(self, epoch: float) -> float:
        """Put the clock at `epoch` (earlier or later) and let it run from there; for starting a scenario."""
        with self._lock:
            self._offset = epoch - time.time()
            return epoch

    def advance_to(self, epoch: float) -> float:
        """Move the clock forward to `epoch` (no-op when already past it)."""
        return self.advance(max(0.0, epoch - self.now()))

    def shanghai(self) -> datetime:
        """Return the current sandbox time in Asia/Shanghai."""
        return datetime.fromtimestamp(self.now(), SHANGHAI)


def shanghai_date(ts: float) -> date:
    """Return the Asia/Shanghai calendar date of an epoch timestamp."""
    return datetime.fromtimestamp(ts, SHANGHAI).date()
