"""Prometheus metrics: counters bumped where things happen, state read at scrape time, one /metrics view.

Counters live in `registry`; in a multi-process deployment (gunicorn workers, rq workers) every process writes
them to PROMETHEUS_MULTIPROC_DIR and the scrape sums the files. Queue depths and open outbox/inbox rows are read
by `state.StateCollector` when /metrics is scraped.

Files are named by host and pid (not pid alone) so that containers sharing one directory never collide.
"""
from __future__ import annotations

import os
import socket

from prometheus_client import values


def process_identifier() -> str:
    """This process's name in the metrics directory: `<host>-<pid>` (no underscores: they separate file fields)."""
    return f"{socket.gethostname().replace('_', '-')}-{os.getpid()}"


if os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir"):
    values.ValueClass = values.MultiProcessValue(process_identifier)
