"""gunicorn settings: `gunicorn -c deploy/gunicorn.conf.py wsgi:app` (every value can be overridden by environment).

The app is not preloaded: each worker builds its own database pool and enqueue relay after the fork.
"""
import multiprocessing
import os

bind = os.environ.get("SCRM_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("SCRM_WEB_THREADS", "4"))
timeout = int(os.environ.get("SCRM_WEB_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
preload_app = False
# WeCom's callback URL carries no secret, but OAuth codes and tokens can arrive in query strings: log paths only.
accesslog = os.environ.get("SCRM_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Create the shared metrics directory when multi-process metrics are on."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)


def child_exit(server, worker):
    """Drop a dead worker's live gauges from the shared metrics directory (its counters stay summed)."""
    from app.metrics.process import process_died

    process_died(worker.pid)
