"""Benchmark the SOP planner: one day for 100k and 1M enrollments from PostgreSQL, against a plain table scan.

Each measurement runs in a fresh (spawned) interpreter so its peak RSS is its own, with the cyclic garbage
collector paused in both (it rescans millions of freshly built rows again and again otherwise); the database is
created for the run and dropped at the end.
"""
from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import random
import resource
import time as clock
import uuid
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path

import psycopg

from content.calendar import Audience, Calendar, Sequence, Step, Timing
from content.journey import load_journey
from jobs.planner import SHANGHAI, Enrollment, Ledger, Limits, plan

ADMIN = os.environ.get("BENCH_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
SHIPPED = Path(__file__).resolve().parent.parent / "content" / "sequences" / "saas_nurture_30d.yaml"
NOW = datetime(2026, 3, 16, 10, 30, tzinfo=SHANGHAI)
STAFF = [f"staff{i:03d}" for i in range(200)]
TAGS = ["vip", "webinar", "trial", "big_account", "partner"]
COLUMNS = ("contact_id bigint, external_userid text, owner_userid text, sequence_key text, enrolled_at timestamptz, "
           "stage text, stage_entered_at timestamptz, lead_status text, tags text[], channel text, score real, "
           "name text, company text, done_steps text[], exited text, opted_out boolean, hot boolean")
FIELDS = ", ".join(column.split()[0] for column in COLUMNS.split(", "))


def synthetic_calendar(stages: list[str]) -> tuple[Calendar, str]:
    """Build the shipped shape in code: 15 private steps over 30 days and 3 Moments posts a day (90 in all)."""
    private = [Step(f"p{d:02d}", "private", Timing(d, time(10), time(20)), f"您好，我是{{staff}}，第{d}天的内容",
                    audience=Audience(lead_statuses=("new", "mql"))) for d in range(0, 30, 2)]
    moments = [Step(f"m{d:02d}{slot}", "moment", Timing(d, at), f"第{d}天朋友圈{slot}",
                    audience=Audience(stages=(stages[(d + slot) % 3],), lead_statuses=()))
               for d in range(30) for slot, at in enumerate((time(9), time(12, 30), time(18)))]
    seq = Sequence("saas_nurture_30d", "SaaS nurture 30 days", tuple(private + moments),
                   starts_on=date(2026, 3, 1), cycle_days=30)
    return Calendar(sequences=(seq,)), seq.key


def bench_calendar(stages: list[str]) -> tuple[Calendar, str, str]:
    """Load the shipped 30-day calendar if it exists, else build the synthetic one; return it, its key, its origin."""
    if SHIPPED.exists():
        from content.calendars import load_calendar
        calendar = load_calendar([SHIPPED])
        seq = max(calendar.sequences, key=lambda s: len(s.steps))
        return calendar, seq.key, str(SHIPPED.name)
    calendar, key = synthetic_calendar(stages)
    return calendar, key, "synthetic 15 private + 90 moment steps"


def populate(dsn: str, size: int, key: str, calendar: Calendar, stages: list[str]) -> None:
    """Create and COPY-load bench_enrollments and bench_ledger with `size` contacts enrolled over 30 days."""
    rng = random.Random(size)
    steps = {s.timing.day: s.id for s in next(q for q in calendar.sequences if q.key == key).steps
             if s.touchpoint == "private" and not s.timing.milestone}
    done = {offset: "{" + ",".join(v for d, v in sorted(steps.items()) if d < offset) + "}" for offset in range(31)}
    today = NOW.date()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE bench_enrollments ({COLUMNS})")
        conn.execute("CREATE TABLE bench_ledger (kind text, who text, day date)")
        with conn.cursor() as cur, cur.copy(f"COPY bench_enrollments ({FIELDS}) FROM STDIN") as copy:
            lines = []
            for cid in range(size):
                offset = rng.randrange(30)
                at = time(rng.randrange(8, 20), rng.randrange(60))
                enrolled = datetime.combine(today - timedelta(days=offset), at, tzinfo=SHANGHAI)
                stage = stages[min(int(rng.expovariate(0.9)), len(stages) - 1)]
                roll = rng.random()
                lead = "new" if roll < 0.6 else "mql" if roll < 0.9 else "sql" if roll < 0.96 else "lost"
                tags = ",".join(rng.sample(TAGS, rng.randrange(3)))
                exited = "replied" if rng.random() < 0.02 else "\\N"
                lines.append(f"{cid}\twm{cid:08d}\t{STAFF[cid % len(STAFF)]}\t{key}\t{enrolled.isoformat()}\t{stage}\t"
                             f"{enrolled.isoformat()}\t{lead}\t{{{tags}}}\tchannel{cid % 7}\t{rng.random() * 100:.1f}\t"
                             f"客户{cid}\t公司{cid % 5000}\t{done[offset]}\t{exited}\t"
                             f"{'t' if rng.random() < 0.01 else 'f'}\t{'t' if rng.random() < 0.02 else 'f'}\n")
                if len(lines) == 50_000:
                    copy.write("".join(lines))
                    lines.clear()
            copy.write("".join(lines))
        with conn.cursor() as cur, cur.copy("COPY bench_ledger (kind, who, day) FROM STDIN") as copy:
            picks = rng.sample(range(size), size // 10)
            copy.write("".join(f"private\t{cid}\t{today}\n" for cid in picks[: size // 20]))
            copy.write("".join(f"moment\t{cid}\t{today}\n" for cid in picks[size // 20:]))
            copy.write("".join(f"staff_moment\t{s}\t{today}\n" for s in STAFF[:20]))
        conn.execute("ANALYZE")


def scan(dsn: str) -> list[tuple]:
    """Read every enrollment row into Python tuples (the baseline)."""
    rows: list[tuple] = []
    with psycopg.connect(dsn, options="-c timezone=Asia/Shanghai") as conn, conn.cursor("scan") as cur:
        cur.execute(f"SELECT {FIELDS} FROM bench_enrollments")
        while batch := cur.fetchmany(50_000):
            rows.extend(batch)
    return rows


def load(dsn: str) -> tuple[list[Enrollment], Ledger]:
    """Read enrollments into Enrollment objects (strings and sets interned) and the ledger into counts."""
    people: list[Enrollment] = []
    shared: dict = {}
    intern = shared.setdefault
    with psycopg.connect(dsn, options="-c timezone=Asia/Shanghai") as conn:
        with conn.cursor("load") as cur:
            cur.execute(f"SELECT {FIELDS} FROM bench_enrollments")
            while batch := cur.fetchmany(50_000):
                for (cid, ext, owner, seq, enrolled, stage, entered, lead, tags, channel, score, name, company,
                     done, exited, opted_out, hot) in batch:
                    tagset, doneset = tuple(tags), tuple(done)
                    people.append(Enrollment(
                        cid, ext, intern(owner, owner), intern(seq, seq), enrolled, intern(stage, stage), entered,
                        intern(lead, lead), intern(tagset, frozenset(tagset)), intern(channel, channel), score, name,
                        company, intern(doneset, frozenset(doneset)), exited, opted_out, hot))
        ledger = Ledger()
        for kind, who, day in conn.execute("SELECT kind, who, day FROM bench_ledger"):
            ledger.record(kind, who if kind == "staff_moment" else int(who), day)
    return people, ledger


def measure(dsn: str, phase: str, queue: multiprocessing.Queue) -> None:
    """Run one phase in this fresh process; report seconds, peak RSS growth (MB) and the plan's counts."""
    journey = load_journey()
    stages = {s.key: s.name for s in journey.stages}
    calendar, _, _ = bench_calendar(list(stages))
    gc.disable()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = clock.perf_counter()
    result: dict = {}
    if phase == "scan":
        result["rows"] = len(scan(dsn))
    else:
        people, ledger = load(dsn)
        result["load_s"] = clock.perf_counter() - started
        planned_at = clock.perf_counter()
        out = plan(calendar, people, ledger, Limits(stage_order=tuple(stages)), NOW, stage_names=stages)
        result.update(plan_s=clock.perf_counter() - planned_at, tasks=out.api_calls, deferred=len(out.deferred),
                      dropped=len(out.dropped), private=sum(len(s.recipients) for s in out.sends
                                                            if s.touchpoint == "private"),
                      moments=sum(1 for s in out.sends if s.touchpoint == "moment"),
                      codes=Counter(item.code for item in out.deferred + out.dropped).most_common(6))
    result["seconds"] = clock.perf_counter() - started
    result["peak_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
    queue.put(result)


def in_child(dsn: str, phase: str) -> dict:
    """Run `measure` in a spawned interpreter and return its report."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=measure, args=(dsn, phase, queue))
    child.start()
    result = queue.get(timeout=600)
    child.join(60)
    return result


def main() -> None:
    """Create a database, load each size, measure scan and plan, print figures, drop the database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated enrollment counts")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    stages = [s.key for s in load_journey().stages]
    calendar, key, origin = bench_calendar(stages)
    name = f"scrm_bench_planner_{uuid.uuid4().hex[:8]}"
    dsn = ADMIN.replace("dbname=postgres", f"dbname={name}")
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    print(f"calendar: {origin}; {len(STAFF)} staff owners; now {NOW.isoformat()}")
    try:
        for size in sizes:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("DROP TABLE IF EXISTS bench_enrollments, bench_ledger")
            started = clock.perf_counter()
            populate(dsn, size, key, calendar, stages)
            loaded = clock.perf_counter() - started
            base, run = in_child(dsn, "scan"), in_child(dsn, "plan")
            ratio = run["seconds"] / base["seconds"]
            print(f"\n{size:,} enrollments (COPY load {loaded:.1f} s)")
            print(f"  plain scan into tuples     {base['seconds']:7.2f} s   peak +{base['peak_mb']:,.0f} MB")
            print(f"  load + build + plan        {run['seconds']:7.2f} s   peak +{run['peak_mb']:,.0f} MB"
                  f"   (load+build {run['load_s']:.2f} s, plan {run['plan_s']:.2f} s)")
            print(f"  API calls planned (tasks)  {run['tasks']:,} ({run['moments']} Moments)   "
                  f"1:1 recipients {run['private']:,}   deferred {run['deferred']:,}   dropped {run['dropped']:,}")
            print("  reasons                    " + ", ".join(f"{code} {n:,}" for code, n in run["codes"]))
            print(f"  ratio to plain scan        {ratio:.1f}x (target <= 5x: {'yes' if ratio <= 5 else 'NO'})"
                  + (f"   1M under 60 s: {'yes' if run['seconds'] < 60 else 'NO'}" if size >= 1_000_000 else ""))
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
