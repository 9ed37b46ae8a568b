"""Welcome latency under a burst of adds, against WeCom's 20-second welcome-code window.

Runs the whole system (sandbox, gunicorn with 2 workers, 2 rq workers, PostgreSQL, Redis), lets prospects add
staff at --rate per second for --seconds, and prints p50/p99 of (add event -> send_welcome_msg reaching the
sandbox), their ratio to the 20 s window, and a same-run baseline: one direct send_welcome_msg round trip.

Usage: python bench/welcome.py [--rate 50] [--seconds 10] [--database-url URL] [--redis-url URL]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from app.store.models import InboxEvent, OutboxAction  # noqa: E402
from app.wecom.gateway import Gateway  # noqa: E402
from bench.harness import percentile  # noqa: E402
from bench.system import bench_database, running_system  # noqa: E402
from demo.report import welcome_latencies  # noqa: E402
from tests.test_e2e_contacts import add_prospects, settled  # noqa: E402

WINDOW = 20.0


def direct_round_trip(system, samples: int = 50) -> list[float]:
    """Baseline: add a prospect without a callback and send its welcome straight through the gateway."""
    config = system.sandbox.state.config
    gateway = Gateway(config.corp_id, config.secrets[0], api_base=system.sandbox.api_base)
    times = []
    for _ in range(samples):
        code = system.sandbox.state.contacts.add_prospect("zhangsan", state="bench", emit=False)["welcome_code"]
        start = time.perf_counter()
        gateway.sends.send_welcome_msg(code, "您好", deadline=time.time() + 15)
        times.append(time.perf_counter() - start)
    gateway.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()

    count = int(args.rate * args.seconds)
    with bench_database(args.admin_url, args.redis_url) as database_url, \
            running_system(database_url, args.redis_url) as system:
        state, services = system.sandbox.state, system.services
        print(f"welcome benchmark: {count} adds at {args.rate:.0f}/s over {args.seconds:.0f} s "
              f"(gunicorn x2, rq workers x2, PostgreSQL, Redis, sandbox)")
        started = time.monotonic()
        add_prospects(state, count, args.seconds)
        system.wait_for(lambda: len(state.core.callbacks_sent) >= count, 120, "callbacks")
        system.wait_for(lambda: settled(services, InboxEvent) and settled(services, OutboxAction), 300, "processing")
        drained = time.monotonic() - started
        latencies = sorted(welcome_latencies(state))
        baseline = direct_round_trip(system)
        with services.sessions() as session:
            outcomes = dict(session.execute(select(OutboxAction.status, func.count())
                                            .where(OutboxAction.kind == "welcome").group_by(OutboxAction.status)).all())
        p50, p99 = statistics.median(latencies), percentile(latencies, 99)
        print(f"welcomes: {len(latencies)} of {count} sent, outbox outcomes {outcomes}, "
              f"all work drained in {drained:.1f} s")
        print(f"welcome latency: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
        print(f"ratio to the 20 s window: p50 {p50 / WINDOW:.4f}, p99 {p99 / WINDOW:.4f} (target p99 < 1.0)")
        print(f"baseline, direct send_welcome_msg round trip: p50 {statistics.median(baseline) * 1000:.1f} ms; "
              f"pipeline p50 / baseline p50 = {p50 / statistics.median(baseline):.1f}x")
        print(f"sandbox violations: {state.core.violation_total()} {state.core.violations or ''}")


if __name__ == "__main__":
    main()
