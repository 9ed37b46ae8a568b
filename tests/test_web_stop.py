"""A web process on the embedded default stops within seconds of SIGTERM after a burst, and loses nothing.

Work still waiting in the in-process queue is dropped at exit, not run to the end (which ran into gunicorn's
30-second graceful timeout); the inbox keeps every event and the sweep processes them in the next process.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from app.services import install, uninstall
from app.settings import Settings
from app.store.models import InboxEvent
from app.wiring import build_services
from bench.callback import CORP, KEY, TOKEN, signed_events
from bench.harness import ROOT, closed_loop, wait_for_port
from demo.ports import free_port
from jobs.pipeline.inbox_sweeper import sweep_inbox
from tests.processes import wait_exit

BURST = 2000


def statuses(settings: Settings) -> dict[str, int]:
    services = build_services(settings)
    try:
        with services.sessions() as session:
            return dict(session.execute(select(InboxEvent.status, func.count()).group_by(InboxEvent.status)).all())
    finally:
        services.close()


@pytest.mark.slow
def test_gunicorn_stops_within_seconds_after_a_burst_and_the_sweep_finishes_the_rest(tmp_path, sb):
    url = f"sqlite:///{tmp_path / 'scrm.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "DATABASE_URL", "WECOM_"))}
    env.update(DATABASE_URL=url, WECOM_CORP_ID=CORP, WECOM_TOKEN=TOKEN, WECOM_AES_KEY=KEY,
               WECOM_API_BASE=sb.api_base, LOG_LEVEL="WARNING")
    subprocess.run([sys.executable, "-m", "app.cli", "db", "upgrade"], env=env, cwd=ROOT, check=True)
    port = free_port()
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                           cwd=ROOT, env=env, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_port(port, web)
        _, refused = closed_loop(port, signed_events(BURST, 0))
        assert refused == 0
        web.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        code = wait_exit(web, 60)
        stopped_in = time.monotonic() - asked
    finally:
        with contextlib.suppress(ProcessLookupError):  # gunicorn's workers too, whatever happened above
            os.killpg(web.pid, signal.SIGKILL)
        wait_exit(web, 30)
    assert code == 0
    assert stopped_in < 10, f"gunicorn took {stopped_in:.1f} s to stop (its graceful timeout is 30 s)"

    settings = Settings(database_url=url, redis_url=None, wecom_corp_id=CORP, wecom_token=TOKEN, wecom_aes_key=KEY,
                        wecom_api_base=sb.api_base, job_retry_intervals=(0, 0), _env_file=None)
    assert sum(statuses(settings).values()) == BURST
    services = install(build_services(settings))
    try:
        for _ in range(BURST // 500 + 1):  # 500 events a sweep; a job that fails for good must not loop forever
            if not sweep_inbox(services, pending_after=0):
                break
            services.queues.wait_idle()
        assert services.queues.failed == []
    finally:
        uninstall()
        services.close()
    assert statuses(settings) == {"done": BURST}
