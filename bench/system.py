"""Run the whole system for end-to-end tests and benchmarks: sandbox, gunicorn web app, rq workers."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from typing import Iterator

from app.db import make_engine, upgrade
from app.ports import free_port
from app.sandbox import SandboxConfig, SandboxServer
from app.services import Services, build_services
from app.settings import Settings
from bench.harness import ROOT, gunicorn


@dataclass
class System:
    """A running system: the sandbox (in this process) and our service's settings and database."""

    sandbox: SandboxServer
    settings: Settings
    services: Services
    callback_url: str

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
def running_system(database_url: str, redis_url: str, workers: int = 2, web_workers: int = 2,
                   **sandbox_options) -> Iterator[System]:
    """Start sandbox, `gunicorn wsgi:app` and `scrm worker` processes; stop them all on exit."""
    port = free_port()
    callback_url = f"http://127.0.0.1:{port}/wecom/callback"
    with ExitStack() as stack:
        sandbox = SandboxServer.start(replace(SandboxConfig(), callback_url=callback_url, **sandbox_options))
        stack.callback(sandbox.stop)
        config = sandbox.state.config
        keys = json.dumps({str(v): pem for v, pem in sandbox.state.archive_private_keys().items()})
        settings = Settings(
            database_url=database_url, redis_url=redis_url, wecom_corp_id=config.corp_id,
            wecom_token=config.callback_token, wecom_aes_key=config.encoding_aes_key, wecom_secret=config.secrets[0],
            wecom_api_base=sandbox.api_base, archive_private_keys=keys, _env_file=None,
        )
        engine = make_engine(database_url)
        upgrade(engine)
        engine.dispose()
        env = system_env(settings)
        stack.enter_context(gunicorn("wsgi:app", env, workers=web_workers, port=port))
        for _ in range(workers):
            proc = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=env)
            stack.callback(_stop, proc)
        services = build_services(settings)
        stack.callback(services.close)
        yield System(sandbox, settings, services, callback_url)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
