"""Shared pieces for benchmarks: start a WSGI server process, drive load, summarise latencies."""
from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from demo.ports import free_port

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def gunicorn(target: str, env: dict[str, str], workers: int = 2, port: int | None = None) -> Iterator[int]:
    """Run `gunicorn target` on a (free) port until the block ends; yield the port."""
    port = port or free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         target],
        cwd=ROOT, env={**os.environ, **env},
    )
    try:
        wait_for_port(port, proc)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """Wait until something listens on the port; fail if the process exits first or time runs out."""
    deadline, pause = time.monotonic() + timeout, threading.Event()
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError as err:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"nothing listens on port {port} (process exit code {proc.poll()})") from err
            pause.wait(0.05)


def post(port: int, path: str, body: bytes) -> int:
    """POST once on a new connection; return the status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "text/xml"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def closed_loop(port: int, requests: list[tuple[str, bytes]], concurrency: int = 8) -> tuple[float, int]:
    """Send every request with `concurrency` clients; return (requests per second, non-200 count)."""
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        statuses = list(pool.map(lambda r: post(port, *r), requests))
    elapsed = time.perf_counter() - start
    return len(requests) / elapsed, sum(1 for s in statuses if s != 200)


def open_loop(port: int, requests: list[tuple[str, bytes]], rate: float,
              concurrency: int = 32) -> tuple[list[float], int]:
    """Send requests at a fixed rate; latency counts from the scheduled send time (no coordinated omission)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start = time.perf_counter() + 0.1

    def one(index: int) -> None:
        nonlocal errors
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        status = post(port, *requests[index])
        with lock:
            latencies.append(time.perf_counter() - scheduled)
            errors += status != 200

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(len(requests))))
    return latencies, errors


def percentile(values: list[float], pct: float) -> float:
    """Return the pct-th percentile (0-100) of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def summary_ms(values: list[float]) -> str:
    """Format p50/p99/max of latencies in seconds as milliseconds."""
    return (
        f"p50 {statistics.median(values) * 1000:.1f} ms, p99 {percentile(values, 99) * 1000:.1f} ms, "
        f"max {max(values) * 1000:.1f} ms"
    )


def descendants(root: int) -> dict[int, str]:
    """Every live process under `root` (children, grandchildren …) as pid -> command line, from /proc (Linux)."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
            commands[int(entry.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat[stat.rindex(")") + 2:].split()[1])
    found, frontier = {}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in found:
                found[child] = commands.get(child, "")
                frontier.append(child)
    return found


def rss_bytes(pid: int) -> int | None:
    """Resident set size of a process in bytes (None when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None
