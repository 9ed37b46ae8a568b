"""GET /metrics, open unless METRICS_TOKEN is set (then `Authorization: Bearer <token>`)."""
from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST

from app.metrics.exposition import render, scrape_registry
from app.metrics.state import StateCollector

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    """Counters of every process on this host plus queue and outbox state read now."""
    services = current_app.extensions["scrm"]
    token = services.settings.metrics_token
    if token and not hmac.compare_digest(request.headers.get("Authorization", "").encode(), f"Bearer {token}".encode()):
        return Response("metrics need a bearer token", status=401, mimetype="text/plain",
                        headers={"WWW-Authenticate": "Bearer"})
    registry = current_app.extensions.get("scrm.metrics")
    if registry is None:
        registry = current_app.extensions["scrm.metrics"] = scrape_registry(StateCollector(services))
    return Response(render(registry), mimetype=CONTENT_TYPE_LATEST)
