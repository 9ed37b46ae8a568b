"""Multi-process housekeeping: forget a dead process's live gauges; serve a host's counters without the web app."""
from __future__ import annotations

import socket

from prometheus_client import start_http_server
from prometheus_client.multiprocess import mark_process_dead

from app.metrics.exposition import multiprocess_dir, scrape_registry


def process_died(pid: int) -> None:
    """Tell the metrics directory that `pid` (a process on this host) exited; gunicorn's child_exit calls this."""
    if multiprocess_dir():
        mark_process_dead(f"{socket.gethostname().replace('_', '-')}-{pid}")


def serve_host_counters(port: int, addr: str = "0.0.0.0"):
    """Serve the counters every process on this host wrote to PROMETHEUS_MULTIPROC_DIR (worker-only machines)."""
    if not multiprocess_dir():
        raise RuntimeError("PROMETHEUS_MULTIPROC_DIR is not set: there is nothing shared to serve")
    return start_http_server(port, addr=addr, registry=scrape_registry())
