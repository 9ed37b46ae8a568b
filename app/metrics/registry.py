"""The counters and histograms every process updates (names prefixed `scrm_`)."""
from __future__ import annotations

from prometheus_client import Counter, Histogram

CALLBACKS_RECEIVED = Counter(
    "scrm_callbacks_received", "Callbacks verified and stored (result: stored, or duplicate of a stored event).",
    ["result"])
CALLBACKS_REJECTED = Counter(
    "scrm_callbacks_rejected", "Callbacks refused, by short reason and HTTP status.", ["reason", "status"])
WECOM_API_CALLS = Counter("scrm_wecom_api_calls", "HTTP calls made to WeCom, by endpoint.", ["endpoint"])
WECOM_API_ERRORS = Counter(
    "scrm_wecom_api_errors", "Failed WeCom calls, by endpoint and error class.", ["endpoint", "error"])
OUTBOX_ACTIONS = Counter(
    "scrm_outbox_actions", "Outbox action runs by kind and outcome (done, failed, expired, deferred, retry).",
    ["kind", "outcome"])
JOB_FAILURES = Counter("scrm_job_failures", "rq jobs that raised, by queue and exception class.",
                       ["queue", "exception"])
CALLBACK_STORED = CALLBACKS_RECEIVED.labels("stored")  # bound once: the callback path only calls inc()
CALLBACK_DUPLICATE = CALLBACKS_RECEIVED.labels("duplicate")
ALERT_LATENCY = Histogram(
    "scrm_hot_lead_alert_latency_seconds",
    "From a hot lead's message (or tracked-link open) reaching us to the owner's alert accepted by WeCom.",
    buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600))


def reason_label(reason: str) -> str:
    """A bounded label for a rejection reason: the text before any colon ("cannot decrypt: ..." -> "cannot decrypt")."""
    return reason.split(":", 1)[0].strip()[:40] or "unknown"
