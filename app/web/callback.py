"""POST/GET /wecom/callback: verify, decrypt, store, answer; the relay enqueues off the request path."""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge

from app.metrics.registry import CALLBACK_DUPLICATE, CALLBACK_STORED, CALLBACKS_REJECTED, reason_label
from app.store.inbox import store_event
from app.wecom.envelope import CallbackRejected, open_envelope, verify_url

log = logging.getLogger(__name__)
bp = Blueprint("callback", __name__)


def _text(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


@bp.errorhandler(CallbackRejected)
def rejected(exc: CallbackRejected) -> Response:
    """Answer a refused callback with its status and short reason."""
    log.warning("callback rejected: %s (%s)", exc.reason, exc.status)
    CALLBACKS_REJECTED.labels(reason_label(exc.reason), str(exc.status)).inc()
    return _text(exc.reason, exc.status)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc: RequestEntityTooLarge) -> Response:
    """Refuse a body over the configured limit without reading it."""
    log.warning("callback rejected: body too large (413)")
    CALLBACKS_REJECTED.labels("body too large", "413").inc()
    return _text("body too large", 413)


@bp.get("/wecom/callback")
def verify() -> Response:
    """Answer WeCom's URL verification with the decrypted echostr."""
    services = current_app.extensions["scrm"]
    return _text(verify_url(request.args, services.crypto))


def fast_lane(fields: dict) -> bool:
    """Events with a deadline go on the `welcome` queue every worker serves first: an add carrying a welcome code
    (WeCom's 20-second window) and an archive notification (a prospect's message may be a hot lead for sales)."""
    return bool(fields.get("WelcomeCode")) or fields.get("Event") == "msgaudit_notify"


@bp.post("/wecom/callback")
def receive() -> Response:
    """Store the event before answering; a retry of the same event is a no-op."""
    services = current_app.extensions["scrm"]
    request.max_content_length = services.settings.callback_max_bytes
    body = request.get_data(cache=False)
    envelope = open_envelope(request.args, body, services.crypto)
    try:
        with services.engine.begin() as conn:
            event_id, created = store_event(conn, envelope)
    except SQLAlchemyError:
        log.exception("inbox unavailable; WeCom will retry")
        CALLBACKS_REJECTED.labels("storage unavailable", "503").inc()
        return _text("storage unavailable", 503)
    if created:
        services.relay.submit((event_id, fast_lane(envelope.fields)))
    (CALLBACK_STORED if created else CALLBACK_DUPLICATE).inc()
    log.info("callback stored event %s (new=%s)", event_id, created)
    return _text("success")
