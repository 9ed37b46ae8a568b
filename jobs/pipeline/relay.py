"""Hand freshly stored inbox events to the queues in batches, off the request path.

The inbox row is already committed when an item arrives here, so an item lost with the process
(or refused by an unreachable Redis) is only late: the sweeper re-enqueues pending rows.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any, Callable

log = logging.getLogger(__name__)


class EnqueueRelay:
    """A daemon thread that enqueues items in batches (one Redis round trip per batch).

    With `linger`, batches go out at most once per `linger` seconds (unless one fills up): an item arriving after a
    quiet spell goes at once, while under load items gather into fewer, larger batches, waiting at most `linger`.
    """

    def __init__(self, send: Callable[[list[Any]], None], max_batch: int = 200, linger: float = 0.0) -> None:
        self._send = send
        self._max_batch = max_batch
        self._linger = linger
        self._last_send = float("-inf")
        self._pending: deque[Any] = deque()
        self._cond = threading.Condition()
        self._busy = False
        self._thread: threading.Thread | None = None

    def submit(self, item: Any) -> None:
        """Queue the item for enqueueing; returns at once."""
        with self._cond:
            self._pending.append(item)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="enqueue-relay", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every submitted item has been handed to the queue (or dropped); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._pending))
                gap = self._last_send + self._linger - time.monotonic()
                if gap > 0:
                    self._cond.wait_for(lambda: len(self._pending) >= self._max_batch, gap)
                batch = [self._pending.popleft() for _ in range(min(self._max_batch, len(self._pending)))]
                self._busy = True
            self._last_send = time.monotonic()
            try:
                self._send(batch)
            except Exception as exc:  # noqa: BLE001 - the sweeper recovers these rows
                log.warning("could not enqueue %d events (%s); the sweeper will", len(batch), type(exc).__name__)
            with self._cond:
                self._busy = False
                self._cond.notify_all()
