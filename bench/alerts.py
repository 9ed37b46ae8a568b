"""Hot-lead alert latency: prospects asking the price, each alert measured from their message to the owner's app
message.

Runs the whole system (sandbox, gunicorn with 2 workers, rq workers, PostgreSQL, Redis), lets --prospects
prospects add 10 sales staff, then has each ask "你们这个系统一年多少钱？" spread over --seconds, and prints p50/p99
of (message -> the owner's textcard reaching the sandbox) against the 5-second target, where the time goes
(message -> notify callback stored -> message pulled from the archive -> alert stored -> app message sent),
and a same-run baseline: one direct message/send round trip through the gateway.

Usage: python bench/alerts.py [--prospects 200] [--seconds 90] [--workers 2]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from app.store.models import ArchivedMessage, Contact, InboxEvent, LeadAlert, OutboxAction  # noqa: E402
from app.store.models.base import as_utc  # noqa: E402
from app.wecom.gateway import Gateway  # noqa: E402
from bench.harness import percentile  # noqa: E402
from bench.system import System, bench_database, running_system  # noqa: E402

STAFF = tuple(f"sales{i:02d}" for i in range(10))
QUESTION = "你们这个系统一年多少钱？"
TARGET = 5.0


@dataclass
class InquiryRun:
    """What happened to each prospect who asked: when they asked, the owner cards they got, the stage timings."""

    prospects: list[str]
    owners: dict[str, str]
    asked: dict[str, float]
    contact_ids: dict[str, int]
    cards: dict[str, list[dict]] = field(default_factory=dict)
    stages: dict[str, list[float]] = field(default_factory=dict)

    def latencies(self) -> list[float]:
        """Seconds from each message to the first owner card about that prospect, sorted."""
        return sorted(self.cards[ext][0]["at"] - self.asked[ext] for ext in self.prospects if self.cards.get(ext))


def add_prospects(system: System, count: int) -> tuple[list[str], dict[str, str]]:
    """Let `count` prospects add the sales staff round-robin and wait until they are stored and welcomed."""
    from tests.test_e2e_contacts import settled

    state, services = system.sandbox.state, system.services
    owners = {state.contacts.add_prospect(STAFF[i % len(STAFF)], state="webinar_0302")["external_userid"]:
              STAFF[i % len(STAFF)] for i in range(count)}
    system.wait_for(lambda: len(state.core.callbacks_sent) >= count, 60, "add callbacks")
    system.wait_for(lambda: settled(services, InboxEvent) and settled(services, OutboxAction), 120, "contacts")
    return list(owners), owners


def ask_prices(system: System, count: int, seconds: float) -> InquiryRun:
    """Each prospect asks the price once, evenly over `seconds`; wait for every owner alert and robot post."""
    from tests.test_e2e_contacts import settled

    state, services = system.sandbox.state, system.services
    prospects, owners = add_prospects(system, count)
    asked, pause, start = {}, threading.Event(), time.monotonic()
    for i, ext in enumerate(prospects):
        pause.wait(max(0.0, start + i * seconds / count - time.monotonic()))
        asked[ext] = state.contacts.record_message(ext, owners[ext], QUESTION)["msgtime"] / 1000
    system.wait_for(lambda: sum(len(state.messaging.app_messages_for(u)) for u in STAFF) >= count, 120, "owner alerts")
    system.wait_for(lambda: settled(services, OutboxAction), 120, "robot posts")
    with services.sessions() as session:
        ids = dict(session.execute(select(Contact.external_userid, Contact.id)).all())
    run = InquiryRun(prospects, owners, asked, {ext: ids[ext] for ext in prospects})
    for ext in prospects:
        suffix = f"/contacts/{run.contact_ids[ext]}"
        run.cards[ext] = [m for m in state.messaging.app_messages_for(owners[ext])
                          if m["textcard"]["url"].endswith(suffix)]
    run.stages = stage_timings(system, run)
    return run


def stage_timings(system: System, run: InquiryRun) -> dict[str, list[float]]:
    """Per prospect, seconds spent in each stage on the way from their message to the owner's card."""
    with system.services.sessions() as session:
        notifies = sorted((as_utc(stored).timestamp(), as_utc(claimed or stored).timestamp()) for stored, claimed in
                          session.execute(select(InboxEvent.received_at, InboxEvent.claimed_at)
                                          .where(InboxEvent.kind == "msgaudit_notify")))
        pulled = {ext: as_utc(t).timestamp() for ext, t in session.execute(
            select(ArchivedMessage.external_userid, ArchivedMessage.created_at)
            .where(ArchivedMessage.direction == "in"))}
        alerted = {cid: as_utc(t).timestamp()
                   for cid, t in session.execute(select(LeadAlert.contact_id, LeadAlert.created_at))}
    stages: dict[str, list[float]] = {"notify stored": [], "notify queued": [], "pulled": [], "alert stored": [],
                                      "card sent": []}
    for ext in run.prospects:
        if not run.cards.get(ext) or ext not in pulled:
            continue
        asked = run.asked[ext]
        stored, claimed = next(((s, c) for s, c in notifies if s >= asked), (pulled[ext], pulled[ext]))
        marks = [asked, stored, claimed, pulled[ext], alerted[run.contact_ids[ext]], run.cards[ext][0]["at"]]
        for name, (before, after) in zip(stages, pairwise(marks), strict=True):
            stages[name].append(max(0.0, after - before))
    return stages


def direct_round_trip(system: System, samples: int = 30) -> list[float]:
    """Baseline: one textcard straight through the gateway to the sandbox."""
    config = system.sandbox.state.config
    gateway = Gateway(config.corp_id, config.secrets[0], api_base=system.sandbox.api_base, agent_id=config.agent_id)
    times = []
    for i in range(samples):
        start = time.perf_counter()
        gateway.alerts.send_app_message(STAFF[i % len(STAFF)], "textcard", {"title": "t", "description": "d", "url": "http://x"})
        times.append(time.perf_counter() - start)
    gateway.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prospects", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()

    with bench_database(args.admin_url, args.redis_url) as database_url, \
            running_system(database_url, args.redis_url, workers=args.workers,
                           staff=STAFF) as system:
        print(f"alert benchmark: {args.prospects} prospects ask the price over {args.seconds:.0f} s "
              f"(gunicorn x2, rq workers x{args.workers}, PostgreSQL, Redis, sandbox)")
        run = ask_prices(system, args.prospects, args.seconds)
        baseline = statistics.median(direct_round_trip(system))
        latencies = run.latencies()
        p50, p99 = statistics.median(latencies), percentile(latencies, 99)
        print(f"owner alerts: {len(latencies)} of {args.prospects}; robot posts "
              f"{len(system.sandbox.state.messaging.robot_messages('sandbox-robot-key'))}")
        print(f"alert latency (message -> owner's app message): p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
              f"max {latencies[-1] * 1000:.0f} ms; p99 / 5 s target = {p99 / TARGET:.2f} (target < 1.0)")
        for stage, values in run.stages.items():
            values.sort()
            print(f"  {stage:<13} p50 {statistics.median(values) * 1000:6.0f} ms  "
                  f"p99 {percentile(values, 99) * 1000:6.0f} ms")
        with system.services.sessions() as session:
            work = session.execute(select(OutboxAction.kind, func.count(), func.sum(OutboxAction.attempts))
                                   .group_by(OutboxAction.kind)).all()
        print("outbox work (actions / attempts): " + ", ".join(f"{k} {n}/{a}" for k, n, a in sorted(work)))
        print(f"baseline, direct message/send round trip: p50 {baseline * 1000:.1f} ms; "
              f"pipeline p50 / baseline = {p50 / baseline:.0f}x")
        core = system.sandbox.state.core
        print(f"sandbox violations: {core.violation_total()} {core.violations or ''}")


if __name__ == "__main__":
    main()
