"""Run the whole system for end-to-end tests and benchmarks: sandbox, gunicorn web app, rq workers."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

import requests
from redis import Redis
from sqlalchemy import create_engine, text

from app.services import Services
from app.settings import Settings
from app.store.db import make_engine, upgrade
from app.wiring import build_services
from bench.harness import ROOT, gunicorn
from demo.ports import free_port
from sandbox import SandboxConfig, SandboxServer


@dataclass
class System:
    """A running system: the sandbox (in this process), our service's settings and database, and its processes."""

    sandbox: SandboxServer
    settings: Settings
    services: Services
    callback_url: str
    env: dict[str, str] = field(default_factory=dict)
    web_port: int = 0
    log_dir: Path | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)
    schedulers: list[subprocess.Popen] = field(default_factory=list)

    def start_worker(self) -> subprocess.Popen:
        """Start one more `scrm worker` (stopped when the system stops)."""
        proc = self._spawn("worker", len(self.workers))
        self.workers.append(proc)
        return proc

    def start_scheduler(self) -> subprocess.Popen:
        """Start one more `scrm scheduler` (stopped when the system stops)."""
        proc = self._spawn("scheduler", len(self.schedulers))
        self.schedulers.append(proc)
        return proc

    def _spawn(self, command: str, index: int) -> subprocess.Popen:
        if self.log_dir is None:
            return subprocess.Popen([sys.executable, "-m", "app.cli", command], cwd=ROOT, env=self.env)
        with open(self.log_dir / f"{command}-{index}.log", "ab") as log:
            return subprocess.Popen([sys.executable, "-m", "app.cli", command], cwd=ROOT, env=self.env,
                                    stdout=log, stderr=subprocess.STDOUT)

    def stop_processes(self) -> None:
        """Stop every worker and scheduler this system started (SIGTERM, then SIGKILL after 10 s)."""
        for proc in self.workers + self.schedulers:
            _stop(proc)

    def wait_for(self, predicate, timeout: float, what: str) -> None:
        """Re-check `predicate` every 100 ms until true; raise after `timeout` seconds."""
        deadline, pause = time.monotonic() + timeout, threading.Event()
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
            pause.wait(0.1)


def system_env(settings: Settings) -> dict[str, str]:
    """Environment for our processes, pointing at the test database, Redis and the sandbox."""
    env = {
        "DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url or "",
        "WECOM_CORP_ID": settings.wecom_corp_id, "WECOM_TOKEN": settings.wecom_token,
        "WECOM_AES_KEY": settings.wecom_aes_key, "WECOM_SECRET": settings.wecom_secret,
        "WECOM_API_BASE": settings.wecom_api_base, "LOG_LEVEL": "WARNING",
        "JOB_RETRY_INTERVALS": "[1, 2, 5]", "ARCHIVE_PRIVATE_KEYS": settings.archive_private_keys or "",
    }
    return {**os.environ, **env}


@contextmanager
def running_system(database_url: str, redis_url: str, workers: int = 2, web_workers: int = 2, schedulers: int = 0,
                   env: dict[str, str] | None = None, log_dir: Path | None = None,
                   **sandbox_options) -> Iterator[System]:
    """Start sandbox, `gunicorn wsgi:app`, `scrm worker` and `scrm scheduler` processes; stop them all on exit.

    `env` adds or overrides environment variables of our processes (e.g. SWEEP_INTERVAL_SECONDS); with
    `log_dir`, workers and schedulers write their output to `<command>-<n>.log` there.
    """
    port = free_port()
    callback_url = f"http://127.0.0.1:{port}/wecom/callback"
    with ExitStack() as stack:
        sandbox = SandboxServer.start(replace(SandboxConfig(), callback_url=callback_url, **sandbox_options))
        stack.callback(sandbox.stop)
        config = sandbox.state.config
        keys = json.dumps({str(v): pem for v, pem in sandbox.state.archive.private_keys().items()})
        settings = Settings(
            database_url=database_url, redis_url=redis_url, wecom_corp_id=config.corp_id,
            wecom_token=config.callback_token, wecom_aes_key=config.encoding_aes_key, wecom_secret=config.secrets[0],
            wecom_api_base=sandbox.api_base, archive_private_keys=keys, _env_file=None,
        )
        engine = make_engine(database_url)
        upgrade(engine)
        engine.dispose()
        process_env = {**system_env(settings), **(env or {})}
        stack.enter_context(gunicorn("wsgi:app", process_env, workers=web_workers, port=port))
        _wait_healthy(port)
        system = System(sandbox, settings, build_services(settings), callback_url, process_env, port, log_dir)
        stack.callback(system.services.close)
        stack.callback(system.stop_processes)
        for _ in range(workers):
            system.start_worker()
        for _ in range(schedulers):
            system.start_scheduler()
        yield system


def _wait_healthy(port: int, timeout: float = 60.0) -> None:
    """Wait until gunicorn's workers answer /healthz (the port listens before they have loaded the app)."""
    deadline, pause = time.monotonic() + timeout, threading.Event()
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"gunicorn on port {port} did not answer /healthz within {timeout:.0f} s")
        pause.wait(0.1)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextmanager
def bench_database(admin_url: str, redis_url: str, prefix: str = "scrm_bench") -> Iterator[str]:
    """A throw-away PostgreSQL database and a flushed Redis db for one benchmark run; yield the database URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    Redis.from_url(redis_url).flushdb()
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        Redis.from_url(redis_url).flushdb()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time a process has used, with that of the children it has waited for (an rq
    worker's work horses), in seconds (None when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return sum(int(fields[n]) for n in (11, 12, 13, 14)) / os.sysconf("SC_CLK_TCK")


def service_pids() -> dict[str, list[int]]:
    """PostgreSQL and Redis server processes on this machine, by name (for CPU accounting)."""
    found: dict[str, list[int]] = {"postgres": [], "redis": []}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if comm == "postgres":
                found["postgres"].append(int(entry.name))
            elif comm.startswith("redis-server"):
                found["redis"].append(int(entry.name))
    return found
