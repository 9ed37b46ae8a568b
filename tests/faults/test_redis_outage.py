"""Fault: Redis is unavailable for 60 s. Callbacks are still accepted and stored; everything is processed after."""
from __future__ import annotations

import os
import statistics
import threading
import time

import pytest

from tests.faults.probes import (
    add_event_fields,
    contacts_by_external_userid,
    inbox_external_userids,
    inbox_statuses,
    incomplete_inbox_rows,
    outbox_rows,
    outbox_statuses,
    post_signed,
    wait_equal,
)

pytestmark = pytest.mark.faults

OUTAGE = float(os.environ.get("FAULT_REDIS_OUTAGE_SECONDS", "60"))  # shorter only to debug locally
SANDBOX_ADDS = 15  # prospects added in the sandbox during the outage (it delivers their callbacks)
CLIENT_POSTS = 10  # callbacks posted directly by the test during the outage
STAFF = ("zhangsan", "lisi", "wangwu")


def outbox_settled(system) -> bool:
    """Tell whether no outbox action is waiting or running."""
    return not {"pending", "running"} & set(outbox_statuses(system))


def test_callbacks_are_stored_while_redis_is_down_and_processed_after_it_returns(fault_system, private_redis):
    with fault_system(schedulers=1) as system:
        state, pause = system.sandbox.state, threading.Event()
        before = [state.contacts.add_prospect(STAFF[i % 3], state="webinar_0302")["external_userid"] for i in range(3)]
        system.wait_for(lambda: inbox_statuses(system)["done"] == 3 and outbox_settled(system), 30,
                        "the first callbacks processed and their actions run")

        private_redis.kill()
        down_at = time.monotonic()
        during, statuses = [], []
        for i in range(SANDBOX_ADDS + CLIENT_POSTS):
            pause.wait(max(0.0, down_at + (i + 1) * (OUTAGE - 10) / (SANDBOX_ADDS + CLIENT_POSTS) - time.monotonic()))
            if i % 5 < 3:  # interleave: sandbox-delivered and test-posted callbacks
                during.append(state.contacts.add_prospect(STAFF[i % 3], state="site_qr_pricing")["external_userid"])
            else:
                ext = state.contacts.add_prospect(STAFF[i % 3], emit=False)["external_userid"]
                during.append(ext)
                statuses.append(post_signed(system, add_event_fields(system, STAFF[i % 3], ext)))
        assert state.core.wait_callbacks(len(before) + SANDBOX_ADDS,
                                         timeout=max(1.0, down_at + OUTAGE - time.monotonic()))
        stored_while_down = inbox_statuses(system)
        deliveries = state.core.callbacks_sent
        pause.wait(max(0.0, down_at + OUTAGE - time.monotonic()))

        private_redis.start()
        up_at = time.monotonic()
        everyone = before + during
        wait_equal(system, lambda: inbox_statuses(system), {"done": len(everyone)}, 150, "every event processed")
        caught_up = time.monotonic() - up_at
        system.wait_for(lambda: outbox_settled(system), 60, "every action settled")

        assert private_redis.answers()
        assert up_at - down_at >= OUTAGE
        assert statuses == [200] * len(statuses)
        assert not [(d.created_at, d.status, d.attempts, d.errors) for d in deliveries
                    if (d.status, d.http_status, d.attempts) != ("delivered", 200, 1)]
        assert sum(stored_while_down.values()) == len(everyone)
        assert stored_while_down["pending"] == len(during)
        assert sorted(inbox_external_userids(system)) == sorted(everyone)
        assert incomplete_inbox_rows(system) == []
        contacts = contacts_by_external_userid(system)
        assert set(contacts) == set(everyone)
        assert all(contacts[ext].owner_userid for ext in everyone)
        welcomes = {a.payload["code"]: a.status for a in outbox_rows(system, "welcome")}
        assert len(welcomes) == len(before) + SANDBOX_ADDS
        for ext in everyone:  # a welcome goes out once inside its 20 s window, or never (expired), never late
            sent = state.contacts.welcome_messages_for(ext)
            assert len(sent) <= 1
        assert all(len(state.contacts.welcome_messages_for(ext)) == 1 for ext in before)
        assert set(welcomes.values()) <= {"done", "expired"}
        assert state.core.violation_total() == 0, state.core.violations
        latencies = [d.latency for d in deliveries[len(before):]]
        print(f"\nRedis down {up_at - down_at:.0f} s: {len(during)} callbacks stored (answer p50 "
              f"{statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms); all processed "
              f"{caught_up:.0f} s after Redis returned")
