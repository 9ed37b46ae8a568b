"""Fault: PostgreSQL restarts (crash-like, `-m immediate`) under callback load.

The endpoint answers 5xx only while the database is down (WeCom retries those), every acknowledged callback
is stored, no stored row is partial, and everything is processed once the database is back.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest

from bench.system import System
from tests.faults.probes import (
    add_event_fields,
    contacts_by_external_userid,
    inbox_external_userids,
    inbox_statuses,
    incomplete_inbox_rows,
    outbox_statuses,
    post_signed,
    wait_equal,
)

pytestmark = pytest.mark.faults

RATE = 15.0  # callbacks per second per sender thread
SENDERS = 2
DOWN = 5.0  # seconds the database stays down
RETRY_PAUSE = 0.5  # a WeCom-like retry of an unanswered callback
GRACE = 1.5  # after the server accepts connections again, pooled connections are replaced on first use


@dataclass
class Attempt:
    external_userid: str
    sent: float
    answered: float
    status: int


@dataclass
class Load:
    """Sender threads posting new add events at a fixed rate, retrying each until it is acknowledged."""

    system: System
    stop: threading.Event = field(default_factory=threading.Event)
    attempts: list[Attempt] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, index: int) -> None:
        state, pause, n = self.system.sandbox.state, threading.Event(), 0
        start, userid = time.monotonic(), ("zhangsan", "lisi", "wangwu")[index % 3]
        while not self.stop.is_set():
            pause.wait(max(0.0, start + n / RATE - time.monotonic()))
            n += 1
            ext = state.contacts.add_prospect(userid, emit=False)["external_userid"]
            with self.lock:
                self.events.append(ext)
            fields = add_event_fields(self.system, userid, ext)
            while True:  # WeCom retries until it gets an answer; we keep trying past the outage
                sent = time.monotonic()
                status = post_signed(self.system, fields)
                with self.lock:
                    self.attempts.append(Attempt(ext, sent, time.monotonic(), status))
                if status == 200:
                    break
                pause.wait(RETRY_PAUSE)


def test_callbacks_get_5xx_only_while_postgres_is_down_and_every_acknowledged_one_is_stored(fault_system, postgres):
    with fault_system(workers=2, schedulers=1) as system:
        load, pause = Load(system), threading.Event()
        threads = [threading.Thread(target=load.run, args=(i,), daemon=True) for i in range(SENDERS)]
        for thread in threads:
            thread.start()
        system.wait_for(lambda: inbox_statuses(system)["done"] >= 20, 60, "workers processing the load")
        down_at = time.monotonic()
        postgres.stop("immediate")
        pause.wait(DOWN)
        postgres.start()
        up_at = time.monotonic()
        pause.wait(4.0)
        load.stop.set()
        for thread in threads:
            thread.join(30)
        assert not any(thread.is_alive() for thread in threads)
        wait_equal(system, lambda: inbox_statuses(system), {"done": len(load.events)}, 120, "every event processed")
        wait_equal(system, lambda: set(outbox_statuses(system)), {"done"}, 60, "every action done")

        statuses = Counter(a.status for a in load.attempts)
        failed = [a for a in load.attempts if a.status != 200]
        assert set(statuses) <= {200, 503}, statuses
        assert failed, "the outage produced no refused callback: the load did not overlap it"
        assert all(a.answered >= down_at and a.sent <= up_at + GRACE for a in failed), [
            (round(a.sent - down_at, 2), round(a.answered - down_at, 2)) for a in failed
            if not (a.answered >= down_at and a.sent <= up_at + GRACE)]
        acknowledged = {a.external_userid for a in load.attempts if a.status == 200}
        assert acknowledged == set(load.events)
        stored = inbox_external_userids(system)
        assert sorted(stored) == sorted(load.events)  # each once: retries of a stored event are no-ops
        assert incomplete_inbox_rows(system) == []
        assert set(contacts_by_external_userid(system)) == set(load.events)
        refused = [a.answered - down_at for a in failed]
        print(f"\nPostgreSQL down {up_at - down_at:.1f} s under {SENDERS * RATE:.0f} callbacks/s: "
              f"{statuses[200]} answered 200, {statuses[503]} answered 503 between {min(refused):.1f} s and "
              f"{max(refused):.1f} s after the stop; {len(load.events)} events stored once and processed")
