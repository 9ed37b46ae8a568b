"""Running the `scrm` command as a user does, and waiting for what other processes do (polling, never sleeping)."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

SCRM = [sys.executable, "-m", "app.cli"]


def clean_env(**env: str) -> dict[str, str]:
    """This process's environment without our own settings, plus `env`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "WECOM_"))}
    return {**base, **env}


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """Run `scrm ARGS` in `cwd` with only the given settings; capture its output.

    No timeout of its own: pytest-timeout bounds every test, and `communicate(timeout)` sleeps in a way libfaketime
    breaks (EINVAL).
    """
    return subprocess.run(SCRM + args, cwd=cwd, env=clean_env(**env), capture_output=True, text=True)


def wait_until(condition, timeout: float, step: float = 0.05) -> bool:
    """Poll `condition` until it holds or the deadline passes."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        if condition():
            return True
        pause.wait(step)
    return condition()


def wait_exit(proc: subprocess.Popen, timeout: float) -> int:
    """Wait for `proc` to exit and return its code; raise TimeoutExpired past `timeout`.

    Polls through `wait_until` rather than `Popen.wait(timeout)`, whose sleep libfaketime breaks (EINVAL), so the
    tests that stop processes also run with the clock moved by `faketime`.
    """
    if not wait_until(lambda: proc.poll() is not None, timeout):
        raise subprocess.TimeoutExpired(proc.args, timeout)
    return proc.returncode
