"""The enqueue relay: an item after a quiet spell goes at once; under load items gather into batches."""
from __future__ import annotations

import threading

from jobs.pipeline.relay import EnqueueRelay


class Recorder:
    """The relay's `send`: records each batch and signals it."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.sent = threading.Event()

    def __call__(self, batch: list[str]) -> None:
        self.batches.append(list(batch))
        self.sent.set()


def test_an_item_after_a_quiet_spell_is_sent_at_once():
    sent = Recorder()
    relay = EnqueueRelay(sent, linger=60.0)
    relay.submit("a")
    assert sent.sent.wait(5)
    assert sent.batches == [["a"]]


def test_items_right_after_a_send_gather_into_one_batch():
    sent = Recorder()
    relay = EnqueueRelay(sent, linger=0.3)
    relay.submit("a")
    assert relay.wait_idle(5)
    for item in ("b", "c", "d"):
        relay.submit(item)
    assert relay.wait_idle(5)
    assert sent.batches == [["a"], ["b", "c", "d"]]


def test_a_full_batch_goes_without_waiting_out_the_linger():
    sent = Recorder()
    relay = EnqueueRelay(sent, max_batch=2, linger=60.0)
    relay.submit("a")
    assert relay.wait_idle(5)
    relay.submit("b")
    relay.submit("c")
    assert relay.wait_idle(5)
    assert sent.batches == [["a"], ["b", "c"]]


def test_without_linger_every_wake_up_sends_what_is_waiting():
    sent = Recorder()
    relay = EnqueueRelay(sent)
    for item in ("a", "b"):
        relay.submit(item)
        assert relay.wait_idle(5)
    assert sent.batches == [["a"], ["b"]]
