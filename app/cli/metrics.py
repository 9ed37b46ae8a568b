"""`scrm metrics serve`: expose this host's worker and scheduler counters where no web process runs."""
from __future__ import annotations

import signal
import threading

import click


@click.group()
def metrics() -> None:
    """Prometheus metrics."""


@metrics.command("serve")
@click.option("--port", default=9108, show_default=True, type=int)
@click.option("--host", default="0.0.0.0", show_default=True)
def serve(port: int, host: str) -> None:
    """Serve the counters in PROMETHEUS_MULTIPROC_DIR over HTTP (GET /metrics) until stopped."""
    from app.metrics.process import serve_host_counters

    try:
        server, _thread = serve_host_counters(port, host)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"serving this host's scrm counters on http://{host}:{port}/metrics", err=True)
    stop.wait()
    server.shutdown()
