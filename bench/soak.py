"""Soak: the whole system for --minutes at --rate callbacks/s, with welcomes, edits, chats, hot leads and nurture.

Runs the sandbox (in this process), gunicorn with 2 workers, 2 rq workers and `scrm scheduler` on a fresh
PostgreSQL database and a dedicated Redis db. The driver makes --rate callbacks/s: prospects adding staff (each
add carries a welcome code), staff editing contacts, and chat messages recorded in the session archive (WeCom
batches their msgaudit_notify callbacks, one a second), some of them price questions that must raise a hot-lead
alert. The scheduler's nurture tick (every minute here) plans 1:1 and Moments sends for the enrolled contacts.

Prints throughput, p50/p99 of callback acknowledgement, welcome and alert latency, the cores each process group
used after warm-up, the RSS of every process at the end of warm-up and at the end of the load, queue depth sampled
over time, errors, and a same-run baseline: the bare Flask endpoint (bench/bare_app.py) and ours, driven by the same
client at the same rate before the soak.

Exits 1 when a target fails:
  * any error: a non-200 callback, a failed rq job, inbox event or scheduled run, a failed or expired outbox
    action, a missing welcome or alert, a restarted web worker, a sandbox rule violation, an ERROR line in a
    worker's or the scheduler's log (a job that raised, even when its retry succeeded);
  * queue depth not bounded: unprocessed work (inbox + outbox backlog) in the second half of the measured
    window above max(5 s of arrivals, 1.5 x the first half's peak), or not drained --drain-seconds after the load;
  * memory: any of our processes growing after warm-up by more than max(24 MiB, 15 %).

Usage: python bench/soak.py [--minutes 10] [--rate 100] [--add-share 0.3] [--messages 4] [--hot-share 0.25]
                            [--warmup-seconds N] [--drain-seconds 180] [--admin-url URL] [--redis-url URL]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis import Redis  # noqa: E402
from rq.registry import FailedJobRegistry  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from app.store.content_versions import store_version  # noqa: E402
from app.store.models import Contact, InboxEvent, OutboxAction, ScheduleRun  # noqa: E402
from app.wecom.crypto import CallbackCrypto  # noqa: E402
from app.wecom.envelope import seal_envelope  # noqa: E402
from bench.harness import closed_loop, descendants, gunicorn, open_loop, percentile, rss_bytes  # noqa: E402
from bench.system import System, bench_database, cpu_seconds, running_system, service_pids  # noqa: E402
from demo.report import welcome_latencies  # noqa: E402
from jobs.queues import QUEUE_NAMES  # noqa: E402

STAFF = tuple(f"sales{i:02d}" for i in range(10))
CHANNELS = ("webinar_0302", "site_qr_pricing", "expo_booth_a12")
HOT_QUESTION = "你们这个系统一年多少钱？"
CHATTER = ("好的，谢谢", "收到，我先看看资料", "今天有点忙，回头聊", "嗯嗯")
MiB = 1024 * 1024
MEMORY_SLACK, MEMORY_SHARE = 24 * MiB, 0.15
SOAK_CALENDAR = """\
sequences:
  - key: soak_nurture
    name: 压测培育
    steps:
      - id: hello
        touchpoint: private
        day: 0
        at: "00:00"
        until: "23:58"
        text: 您好，这是我们整理的行业资料，供您参考。
      - id: feed
        touchpoint: moment
        day: 0
        at: "00:00"
        text: 本周客户案例：一家 SaaS 公司如何把线索转化率提高一倍。
"""


@dataclass
class Load:
    """What the driver did: adds (with their owners), edits, messages, and when each hot question was asked."""

    owners: dict[str, str] = field(default_factory=dict)
    added_at: list[tuple[float, str]] = field(default_factory=list)
    edits: int = 0
    messages: int = 0
    hot: dict[str, float] = field(default_factory=dict)

    @property
    def callbacks(self) -> int:
        """Callbacks the driver caused directly (archive notifies come on top, batched by the sandbox)."""
        return len(self.added_at) + self.edits


@dataclass
class Sample:
    """Queue depth at one moment: rq queues, unprocessed inbox and outbox rows, callbacks not yet delivered."""

    at: float
    queues: dict[str, int]
    inbox: int
    outbox: int
    undelivered: int

    @property
    def work(self) -> int:
        """Unprocessed work: inbox events and outbox actions not finished."""
        return self.inbox + self.outbox


def drive(state, load: Load, rate: float, seconds: float, add_share: float, messages: float, hot_share: float,
          rng: random.Random) -> None:
    """Make callbacks at `rate` (adds and edits; one archive notify a second on top) and chat messages."""
    callback_rate = max(rate - 1.0, 1.0)
    plan = [(i / callback_rate, 0) for i in range(int(callback_rate * seconds))]
    if messages > 0:
        plan = sorted(plan + [(i / messages, 1) for i in range(int(messages * seconds))])
    pause, start = threading.Event(), time.monotonic()
    for at, kind in plan:
        pause.wait(max(0.0, start + at - time.monotonic()))
        now = time.monotonic()
        if kind == 0 and (not load.owners or rng.random() < add_share):
            n = len(load.added_at)
            owner = STAFF[n % len(STAFF)]
            ext = state.contacts.add_prospect(owner, state=CHANNELS[n % len(CHANNELS)])["external_userid"]
            load.owners[ext] = owner
            load.added_at.append((now, ext))
        elif kind == 0:
            ext = rng.choice(load.added_at)[1]
            state.contacts.edit_contact(load.owners[ext], ext, remark=f"跟进 {load.edits}")
            load.edits += 1
        else:
            settled = [ext for added, ext in load.added_at if now - added > 10 and ext not in load.hot]
            if not settled:
                continue
            ext = rng.choice(settled)
            if rng.random() < hot_share:
                load.hot[ext] = state.contacts.record_message(ext, load.owners[ext], HOT_QUESTION)["msgtime"] / 1000
            else:
                state.contacts.record_message(ext, load.owners[ext], rng.choice(CHATTER))
            load.messages += 1


def sample_depth(system: System, redis: Redis, load: Load) -> Sample:
    """One reading of every queue and backlog."""
    with system.services.sessions() as session:
        inbox = session.scalar(select(func.count()).select_from(InboxEvent)
                               .where(InboxEvent.status.in_(["pending", "processing"])))
        outbox = session.scalar(select(func.count()).select_from(OutboxAction)
                                .where(OutboxAction.status.in_(["pending", "running"])))
    delivered = sum(1 for d in system.sandbox.state.core.callbacks_sent if d.event != "msgaudit_notify")
    return Sample(time.monotonic(), {name: redis.llen(f"rq:queue:{name}") for name in QUEUE_NAMES}, inbox, outbox,
                  load.callbacks - delivered)


def our_processes(system: System) -> dict[int, str]:
    """Our service's processes under this one: gunicorn master and workers, rq workers (and the rq scheduler
    process each forks; not the short-lived work horses of forked jobs), `scrm scheduler`."""
    workers = {proc.pid for proc in system.workers}
    schedulers = {proc.pid for proc in system.schedulers}
    found = {}
    for pid, command in descendants(os.getpid()).items():
        if "gunicorn" in command and "wsgi:app" in command:
            found[pid] = "gunicorn"
        elif pid in workers:
            found[pid] = "rq worker"
        elif pid in schedulers:
            found[pid] = "scheduler"
        elif "app.cli worker" in command and not work_horse(pid):
            found[pid] = "rq scheduler"
    return found


def work_horse(pid: int) -> bool:
    """Whether a worker's child is a work horse running one forked job (it leads its own process group, and ends
    with its job), or gone."""
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return True


def cpu_by_group(processes: dict[int, str]) -> dict[str, dict[int, float]]:
    """CPU seconds used so far by each of our processes, by the database and Redis servers, and by this driver."""
    groups: dict[str, list[int]] = {}
    for pid, name in processes.items():
        groups.setdefault(name, []).append(pid)
    groups.update(service_pids())
    groups["driver + sandbox"] = [os.getpid()]
    return {name: {pid: cpu_seconds(pid) or 0.0 for pid in pids} for name, pids in groups.items()}


def print_cpu(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]], seconds: float) -> None:
    """Print the cores each group used between two readings (a process started in between counts from zero)."""
    used = {name: sum(cpu - before.get(name, {}).get(pid, 0.0) for pid, cpu in pids.items()) / seconds
            for name, pids in after.items()}
    print(f"CPU after warm-up, in cores ({os.cpu_count()} on this machine): "
          + ", ".join(f"{name} {cores:.2f}" for name, cores in used.items()) + f"; total {sum(used.values()):.2f}")


def memory(processes: dict[int, str]) -> dict[int, int | None]:
    """RSS of each process, and of this driver (sandbox included)."""
    return {pid: rss_bytes(pid) for pid in [*processes, os.getpid()]}


def probes(system: System, count: int, offset: int) -> list[tuple[str, bytes]]:
    """Signed callbacks of an event kind no bot handles (stored, then marked done): ack cost without side effects."""
    settings = system.settings
    crypto = CallbackCrypto(settings.wecom_token, settings.wecom_aes_key, settings.wecom_corp_id)
    out = []
    for n in range(offset, offset + count):
        xml = (f"<xml><ToUserName><![CDATA[{settings.wecom_corp_id}]]></ToUserName><CreateTime>{1700000000 + n}"
               f"</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[soak_probe]]></Event>"
               f"<Seq>{n}</Seq></xml>")
        args, body = seal_envelope(crypto, xml, str(1700000000 + n), f"probe{n}")
        out.append((f"/wecom/callback?{urlencode(args)}", body))
    return out


def baseline(system: System, rate: float, seconds: float) -> tuple[list[float], list[float], int]:
    """Ack latency of the bare Flask endpoint and of ours, same client, same rate, before the soak."""
    warm, requests = probes(system, 200, 0), probes(system, int(rate * seconds), 200)
    with gunicorn("bench.bare_app:app", {"LOG_LEVEL": "WARNING"}, workers=2) as port:
        closed_loop(port, warm)
        bare, bare_errors = open_loop(port, requests, rate)
    closed_loop(system.web_port, warm)
    ours, our_errors = open_loop(system.web_port, requests, rate)
    return bare, ours, bare_errors + our_errors


def alert_latencies(system: System, load: Load) -> tuple[list[float], int]:
    """Seconds from each hot question to the owner's first app message about that contact; and how many got none."""
    state = system.sandbox.state
    with system.services.sessions() as session:
        ids = dict(session.execute(select(Contact.external_userid, Contact.id)
                                   .where(Contact.external_userid.in_(list(load.hot)))).all())
    latencies, missing = [], 0
    for ext, asked in load.hot.items():
        suffix = f"/contacts/{ids.get(ext)}"
        cards = [m["at"] for m in state.messaging.app_messages_for(load.owners[ext])
                 if m["msgtype"] == "textcard" and m["textcard"].get("url", "").endswith(suffix)]
        if cards:
            latencies.append(min(cards) - asked)
        else:
            missing += 1
    return sorted(latencies), missing


def ms(values: list[float]) -> str:
    """p50 / p99 / max in milliseconds, or n/a."""
    if not values:
        return "n/a"
    return (f"p50 {statistics.median(values) * 1000:.0f} ms, p99 {percentile(values, 99) * 1000:.0f} ms, "
            f"max {max(values) * 1000:.0f} ms (n={len(values)})")


def counts(system: System, redis: Redis) -> dict[str, int]:
    """Every kind of error the stores and the sandbox know about."""
    with system.services.sessions() as session:
        inbox = dict(session.execute(select(InboxEvent.status, func.count()).group_by(InboxEvent.status)).all())
        outbox = dict(session.execute(select(OutboxAction.status, func.count()).group_by(OutboxAction.status)).all())
        runs = dict(session.execute(select(ScheduleRun.status, func.count()).group_by(ScheduleRun.status)).all())
    deliveries = system.sandbox.state.core.callbacks_sent
    return {
        "non-200 callback answers": sum(len(d.errors) for d in deliveries),
        "callbacks never delivered": sum(1 for d in deliveries if d.status != "delivered"),
        "failed rq jobs": sum(FailedJobRegistry(name, connection=redis).count for name in QUEUE_NAMES),
        "failed inbox events": inbox.get("failed", 0),
        "failed outbox actions": outbox.get("failed", 0),
        "expired outbox actions": outbox.get("expired", 0),
        "failed scheduled runs": runs.get("failed", 0),
        "sandbox violations": system.sandbox.state.core.violation_total(),
    }


def bounded(samples: list[Sample], rate: float) -> tuple[bool, int, int]:
    """Whether the backlog stayed bounded over the measured window: (ok, first-half peak, second-half peak)."""
    if len(samples) < 2:
        return True, 0, 0
    half = len(samples) // 2
    first, second = max(s.work for s in samples[:half]), max(s.work for s in samples[half:])
    return second <= max(5 * rate, 1.5 * first), first, second


def print_memory(processes: dict[int, str], warm: dict[int, int | None], end: dict[int, int | None]) -> list[str]:
    """Print RSS per process at warm-up end and at the end; return the processes that grew beyond tolerance."""
    grown = []
    print("memory (RSS): process, at warm-up end, at the end of the load, growth")
    for pid in [*processes, os.getpid()]:
        name = processes.get(pid, "driver + sandbox (grows with the simulated corp; not checked)")
        before, after = warm.get(pid), end.get(pid)
        if before is None or after is None:
            print(f"  {pid:>7} {name:<12} gone (before {before}, after {after})")
            if pid in processes:
                grown.append(f"{name} {pid} exited")
            continue
        growth = after - before
        over = pid in processes and growth > max(MEMORY_SLACK, MEMORY_SHARE * before)
        print(f"  {pid:>7} {name:<12} {before / MiB:7.1f} MiB {after / MiB:7.1f} MiB {growth / MiB:+7.1f} MiB"
              f"{'  OVER TOLERANCE' if over else ''}")
        if over:
            grown.append(f"{name} {pid} grew {growth / MiB:.1f} MiB")
    return grown


def soak(args: argparse.Namespace, database_url: str, log_dir: Path) -> bool:
    """Run the system under load and print the figures; return whether every target held."""
    seconds = args.minutes * 60
    warmup = args.warmup_seconds if args.warmup_seconds is not None else min(60.0, seconds / 4)
    env = {"NURTURE_INTERVAL_MINUTES": "1", "QUIET_START": "23:59", "QUIET_END": "00:00", "LOG_LEVEL": "WARNING"}
    calendar = log_dir / "soak_calendar.yaml"
    calendar.write_text(SOAK_CALENDAR, encoding="utf-8")
    redis = Redis.from_url(args.redis_url)
    with running_system(database_url, args.redis_url, workers=args.workers, web_workers=2, env=env, log_dir=log_dir,
                        staff=STAFF, callback_workers=16, callback_queue_max=1_000_000) as system:
        with system.services.sessions() as session:
            store_version(session, [calendar], "soak")
            session.commit()
        system.start_scheduler()
        print(f"soak: {args.minutes:g} min at {args.rate:g} callbacks/s ({args.add_share:.0%} adds, the rest edits, "
              f"plus archive notifies for {args.messages:g} chat messages/s, {args.hot_share:.0%} of them price "
              f"questions); warm-up {warmup:.0f} s; gunicorn x2, rq workers x{args.workers}, scheduler, sandbox, "
              f"PostgreSQL, "
              f"Redis {args.redis_url}; {os.cpu_count()} cores shared with everything else on this machine")
        bare, ours, baseline_errors = baseline(system, args.rate, args.baseline_seconds)
        system.wait_for(lambda: sample_depth(system, redis, Load()).work == 0, 120, "the baseline probes to drain")

        load, samples, marks = Load(), [], {}
        stop = threading.Event()

        def sampler() -> None:
            while not stop.is_set():
                samples.append(sample_depth(system, redis, load))
                stop.wait(args.sample_seconds)

        driver = threading.Thread(target=drive, args=(system.sandbox.state, load, args.rate, seconds, args.add_share,
                                                      args.messages, args.hot_share, random.Random(7)), daemon=True)
        watcher = threading.Thread(target=sampler, daemon=True)
        started = time.monotonic()
        driver.start()
        watcher.start()
        threading.Event().wait(warmup)
        processes = our_processes(system)
        warm_memory, warm_cpu, marks["warm"] = memory(processes), cpu_by_group(processes), time.monotonic()
        warm_delivered = len(system.sandbox.state.core.callbacks_sent)
        driver.join()
        marks["end"] = time.monotonic()
        end_memory, end_cpu = memory(processes), cpu_by_group(processes)
        web_workers_after = {pid for pid, name in our_processes(system).items() if name == "gunicorn"}
        delivered = system.sandbox.state.core.callbacks_sent
        try:
            system.wait_for(lambda: samples[-1].work == 0 and samples[-1].undelivered <= 0
                            and sum(samples[-1].queues.values()) == 0, args.drain_seconds, "the backlog to drain")
            drained = time.monotonic() - marks["end"]
        except TimeoutError:
            drained = None
        stop.set()
        watcher.join()

        measured = [s for s in samples if marks["warm"] <= s.at <= marks["end"]]
        ok_bounded, first_peak, second_peak = bounded(measured, args.rate)
        window = marks["end"] - marks["warm"]
        acks = [d.latency for d in delivered[warm_delivered:] if d.status == "delivered" and d.attempts == 1]
        welcomes = sorted(welcome_latencies(system.sandbox.state))
        welcomed = sum(1 for ext in load.owners if system.sandbox.state.contacts.welcome_messages_for(ext))
        alerts, alerts_missing = alert_latencies(system, load)
        errors = counts(system, redis)
        errors["baseline probes not answered 200"] = baseline_errors
        errors["welcomes missing"] = len(load.owners) - welcomed
        errors["hot questions without an alert"] = alerts_missing
        errors["web workers restarted"] = len({p for p, n in processes.items() if n == "gunicorn"} ^ web_workers_after)
        with system.services.sessions() as session:
            nurture = dict(session.execute(select(OutboxAction.kind, func.count())
                                           .where(OutboxAction.kind.in_(["mass_send", "moment"]))
                                           .group_by(OutboxAction.kind)).all())
            ticks = session.scalar(select(func.count()).select_from(ScheduleRun)
                                   .where(ScheduleRun.name == "nurture", ScheduleRun.status == "done"))
            processed = session.scalar(select(func.count()).select_from(InboxEvent).where(InboxEvent.status == "done"))
            work = session.execute(select(OutboxAction.kind, func.count(), func.sum(OutboxAction.attempts))
                                   .group_by(OutboxAction.kind)).all()
        state = system.sandbox.state

        print(f"\nload: {len(load.added_at)} adds, {load.edits} edits, {load.messages} chat messages "
              f"({len(load.hot)} price questions) in {marks['end'] - started:.0f} s")
        in_window = sum(1 for d in delivered[warm_delivered:])
        print(f"throughput: {len(delivered)} callbacks acknowledged in total; after warm-up {in_window} in "
              f"{window:.0f} s = {in_window / window:.1f}/s (target {args.rate:g}/s); {processed} inbox events "
              f"processed; backlog drained {f'{drained:.0f} s' if drained is not None else 'NOT'} "
              f"after the load stopped")
        print(f"callback ack latency after warm-up (sandbox -> 200): {ms(acks)}")
        print(f"baseline at {args.rate:g}/s, same client (new connection per request), before the soak:")
        print(f"  bare Flask endpoint: {ms(bare)}")
        print(f"  ours (verify, decrypt, store, enqueue): {ms(ours)}")
        if bare and ours:
            print(f"  ratio ours/bare: p50 {statistics.median(ours) / statistics.median(bare):.2f}, "
                  f"p99 {percentile(ours, 99) / percentile(bare, 99):.2f}")
        print(f"welcome latency (add -> send_welcome_msg at the sandbox): {ms(welcomes)}; "
              f"p99 / 20 s window = {percentile(welcomes, 99) / 20 if welcomes else float('nan'):.3f}")
        print(f"alert latency (price question -> owner's app message): {ms(alerts)}; "
              f"p99 / 5 s target = {percentile(alerts, 99) / 5 if alerts else float('nan'):.2f}")
        print(f"nurture: {ticks} nurture ticks done; outbox {nurture.get('mass_send', 0)} 1:1 mass-send tasks, "
              f"{nurture.get('moment', 0)} Moments tasks; sandbox has {len(state.campaigns.mass_tasks)} mass tasks, "
              f"{len(state.moments.moment_tasks)} Moments tasks")
        print("outbox work (actions / attempts): " + ", ".join(f"{k} {n}/{a}" for k, n, a in sorted(work)))
        print(f"queue depth every {args.sample_seconds:g} s (t from load start; rq queues "
              f"{'/'.join(QUEUE_NAMES)}; unprocessed inbox, outbox; callbacks not yet delivered):")
        for s in samples:
            phase = "warm-up" if s.at < marks["warm"] else ("load" if s.at <= marks["end"] else "drain")
            print(f"  t={s.at - started:6.0f} s {phase:<7} rq {'/'.join(str(s.queues[q]) for q in QUEUE_NAMES):<18} "
                  f"inbox {s.inbox:>6} outbox {s.outbox:>6} undelivered {s.undelivered:>6}")
        print(f"backlog after warm-up: first-half peak {first_peak}, second-half peak {second_peak} "
              f"(bound max({5 * args.rate:.0f}, 1.5 x first half)): {'bounded' if ok_bounded else 'NOT BOUNDED'}")
        print_cpu(warm_cpu, end_cpu, window)
        grown = print_memory(processes, warm_memory, end_memory)
        errors["ERROR lines in worker and scheduler logs (job exceptions, even if a retry succeeded)"] = sum(
            1 for log in log_dir.glob("*.log") for line in log.read_text(errors="replace").splitlines()
            if " ERROR " in line)
        print("errors: " + ", ".join(f"{name} {n}" for name, n in errors.items()) + f" (logs in {log_dir})")
        failures = [f"{name}: {n}" for name, n in errors.items() if n] + grown
        if not ok_bounded:
            failures.append("queue depth not bounded")
        if drained is None:
            failures.append(f"backlog not drained {args.drain_seconds:g} s after the load")
        print("RESULT: " + ("PASS" if not failures else "FAIL (" + "; ".join(failures) + ")"))
        return not failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=100.0, help="callbacks per second")
    parser.add_argument("--add-share", type=float, default=0.3, help="share of callbacks that are new contacts")
    parser.add_argument("--messages", type=float, default=4.0, help="chat messages per second into the archive")
    parser.add_argument("--hot-share", type=float, default=0.25, help="share of chat messages asking the price")
    parser.add_argument("--warmup-seconds", type=float, default=None, help="default: a quarter of the run, at most 60")
    parser.add_argument("--drain-seconds", type=float, default=180.0)
    parser.add_argument("--workers", type=int, default=2, help="rq worker processes")
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    parser.add_argument("--sample-seconds", type=float, default=5.0)
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/10", help="a Redis db only this run uses")
    args = parser.parse_args()

    log_dir = Path(tempfile.mkdtemp(prefix="scrm-soak-"))
    with bench_database(args.admin_url, args.redis_url, "scrm_soak") as database_url:
        ok = soak(args, database_url, log_dir)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
