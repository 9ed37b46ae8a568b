"""gunicorn with deploy/gunicorn.conf.py, an rq worker and the sandbox as real processes sharing one metrics dir.

/readyz and /metrics answer; counters from both gunicorn workers and the rq worker add up in one scrape; the
worker's logs (at DEBUG) carry no corp secret.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from app.settings import SANDBOX_SECRET
from demo.ports import free_port
from sandbox import SandboxConfig, SandboxServer
from tests.metrics_helpers import value
from tests.processes import wait_until

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PROSPECTS = 6


def wait_for(check, seconds: float, what: str):
    """Poll `check` until it returns something truthy, or fail naming `what`."""
    found = []

    def holds() -> bool:
        try:
            result = check()
        except requests.RequestException:
            return False
        found[:] = [result]
        return bool(result)

    if not wait_until(holds, seconds, step=0.1):
        pytest.fail(f"timed out waiting for {what}")
    return found[0]


@pytest.fixture
def stack(tmp_path, redis_url, redis):
    """The sandbox, then `scrm db upgrade` and gunicorn on a free port, all on the sandbox's settings."""
    port = free_port()
    sandbox = SandboxServer.start(SandboxConfig(callback_url=f"http://127.0.0.1:{port}/wecom/callback"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'scrm.db'}", "REDIS_URL": redis_url,
           "WECOM_API_BASE": sandbox.api_base, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
           "SCRM_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", "LOG_LEVEL": "INFO"}
    subprocess.run([str(BIN / "scrm"), "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=60)
    log = (tmp_path / "gunicorn.log").open("w")
    web = subprocess.Popen([str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"], env=env, cwd=ROOT,
                           stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: requests.get(f"{base}/readyz", timeout=2).status_code == 200, 30, "gunicorn to be ready")
        yield sandbox, base, env, tmp_path
    finally:
        web.send_signal(signal.SIGTERM)
        try:
            web.wait(30)
        except subprocess.TimeoutExpired:
            web.kill()
            web.wait()
        log.close()
        sandbox.stop()
    assert web.returncode == 0, (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in (tmp_path / "gunicorn.log").read_text()


def scrape(base: str) -> str:
    response = requests.get(f"{base}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return response.text


def test_gunicorn_workers_and_rq_worker_add_up_in_one_scrape(stack):
    sandbox, base, env, tmp_path = stack
    assert requests.get(f"{base}/readyz", timeout=5).json() == {"database": "ok", "redis": "ok"}
    # the sandbox posts a real encrypted callback to gunicorn for each
    prospects = [sandbox.state.contacts.add_prospect("zhangsan")["external_userid"] for _ in range(PROSPECTS)]
    stored = lambda: value(scrape(base), "scrm_callbacks_received_total", result="stored") == PROSPECTS  # noqa: E731
    wait_for(stored, 30, f"{PROSPECTS} stored callbacks in /metrics")
    for _ in range(6):  # any gunicorn worker answers the scrape with the sum over both
        assert value(scrape(base), "scrm_callbacks_received_total", result="stored") == PROSPECTS
    waiting = scrape(base)
    assert 1 <= value(waiting, "scrm_queue_jobs", queue="welcome", state="queued") <= PROSPECTS  # a job per batch
    assert value(waiting, "scrm_inbox_events", status="pending") == PROSPECTS
    writers = {p.stem.split("_", 1)[1] for p in (tmp_path / "metrics").glob("counter_*.db")}
    assert len(writers) == 2, f"both gunicorn workers write counters: {writers}"

    worker = subprocess.run([str(BIN / "scrm"), "worker", "--burst"], env={**env, "LOG_LEVEL": "DEBUG"}, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert worker.returncode == 0, worker.stderr[-3000:]
    after = scrape(base)
    assert value(after, "scrm_outbox_actions_total", kind="welcome", outcome="done") == PROSPECTS
    assert value(after, "scrm_wecom_api_calls_total", endpoint="externalcontact/send_welcome_msg") == PROSPECTS
    assert value(after, "scrm_wecom_api_calls_total", endpoint="gettoken") >= 1
    assert value(after, "scrm_queue_jobs", queue="welcome", state="queued") == 0
    assert value(after, "scrm_inbox_events", status="pending") == 0
    assert all(len(sandbox.state.contacts.welcome_messages_for(ext)) == 1 for ext in prospects)
    assert "corpsecret=***" in worker.stderr
    assert SANDBOX_SECRET not in worker.stderr

    exporter_port = free_port()
    exporter = subprocess.Popen([str(BIN / "scrm"), "metrics", "serve", "--port", str(exporter_port), "--host",
                                 "127.0.0.1"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        served = wait_for(lambda: requests.get(f"http://127.0.0.1:{exporter_port}/metrics", timeout=2).text, 20,
                          "`scrm metrics serve` to answer")
    finally:
        exporter.terminate()
        exporter.wait(10)
    assert value(served, "scrm_outbox_actions_total", kind="welcome", outcome="done") == PROSPECTS
    assert value(served, "scrm_callbacks_received_total", result="stored") == PROSPECTS
    assert exporter.returncode == 0
