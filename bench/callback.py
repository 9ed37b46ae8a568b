"""Callback throughput and acknowledgement latency against a bare Flask endpoint, same server, same run.

Usage: python bench/callback.py [--events 3000] [--rate 200] [--seconds 10]
Target: ours >= 50% of the bare endpoint's throughput on SQLite; p99 ack latency < 20 ms at 200 events/s.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis import Redis  # noqa: E402
from sqlalchemy import text  # noqa: E402

from app.store.db import make_engine, upgrade  # noqa: E402
from app.wecom.crypto import CallbackCrypto  # noqa: E402
from app.wecom.envelope import seal_envelope  # noqa: E402
from bench.harness import closed_loop, gunicorn, open_loop, summary_ms  # noqa: E402

CORP, TOKEN, KEY = "ww5andb0x0000001", "benchtoken", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
EVENT = (
    "<xml><ToUserName><![CDATA[{corp}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
    "<CreateTime>{ts}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>"
    "<ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID>"
    "<ExternalUserID><![CDATA[wmBench{n:08d}]]></ExternalUserID><State><![CDATA[bench]]></State>"
    "<WelcomeCode><![CDATA[WELCOME{n}]]></WelcomeCode></xml>"
)


def signed_events(count: int, offset: int) -> list[tuple[str, bytes]]:
    """Build `count` distinct signed add_external_contact callbacks."""
    crypto = CallbackCrypto(TOKEN, KEY, CORP)
    out = []
    for n in range(offset, offset + count):
        xml = EVENT.format(corp=CORP, ts=1700000000 + n // 50, n=n)
        args, body = seal_envelope(crypto, xml, str(1700000000 + n), f"n{n}")
        out.append((f"/wecom/callback?{urlencode(args)}", body))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="'' for the in-process queue")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
                        help="gunicorn sync workers for both apps (default: gunicorn's advice, 2 x cores + 1)")
    args = parser.parse_args()

    if args.redis_url:
        Redis.from_url(args.redis_url).flushdb()
    workdir = Path(tempfile.mkdtemp(prefix="scrm-bench-"))
    db_url = f"sqlite:///{workdir / 'bench.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    env = {"DATABASE_URL": db_url, "REDIS_URL": args.redis_url, "WECOM_CORP_ID": CORP, "WECOM_TOKEN": TOKEN,
           "WECOM_AES_KEY": KEY, "LOG_LEVEL": "WARNING"}
    if not args.redis_url:
        env.pop("REDIS_URL")

    warmup = signed_events(200, 10_000_000)
    load = signed_events(args.events, 0)
    paced = signed_events(int(args.rate * args.seconds), 20_000_000)
    print(f"callback benchmark: {args.events} events, {args.workers} gunicorn sync workers for both apps, "
          f"SQLite at {workdir}, client and servers on the same {os.cpu_count()} cores")

    with gunicorn("bench.bare_app:app", {"LOG_LEVEL": "WARNING"}, workers=args.workers) as port:
        closed_loop(port, warmup)
        bare_rps, bare_errors = closed_loop(port, load)
    with gunicorn("wsgi:app", env, workers=args.workers) as port:
        closed_loop(port, warmup)
        ours_rps, ours_errors = closed_loop(port, load)
        latencies, paced_errors = open_loop(port, paced, args.rate)

    with engine.connect() as conn:
        stored = conn.execute(text("select count(*) from inbox_events")).scalar()
    expected = len(warmup) + len(load) + len(paced)
    ratio = ours_rps / bare_rps
    print(f"bare Flask endpoint : {bare_rps:8.0f} req/s (errors {bare_errors})")
    print(f"ours (verify+decrypt+store+enqueue): {ours_rps:8.0f} events/s (errors {ours_errors})")
    print(f"ratio ours/bare     : {ratio:.2f}  (target >= 0.50: {'PASS' if ratio >= 0.5 else 'FAIL'})")
    p99 = sorted(latencies)[int(0.99 * (len(latencies) - 1))]
    print(f"ack latency at {args.rate:.0f} events/s over {args.seconds:.0f} s: {summary_ms(latencies)} "
          f"(errors {paced_errors}; target p99 < 20 ms: {'PASS' if p99 < 0.020 else 'FAIL'})")
    redis = Redis.from_url(args.redis_url) if args.redis_url else None
    jobs = sum(redis.llen(f"rq:queue:{q}") for q in ("welcome", "callbacks")) if redis else "n/a (in-process)"
    print(f"inbox rows stored: {stored} of {expected} distinct events sent; processing jobs queued: {jobs}")


if __name__ == "__main__":
    main()
