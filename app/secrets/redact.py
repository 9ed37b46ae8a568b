"""Keep secrets out of every log record: known values, secret query parameters and PEM private keys."""
from __future__ import annotations

import logging
import re
import threading
from typing import Iterable

MASK = "***"
MIN_LENGTH = 6  # shorter values would mask ordinary words
_QUERY = re.compile(r"(?<=[?&])(corpsecret|secret|access_token|key|password|token)=([^&\s\"'#]+)", re.IGNORECASE)
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.DOTALL)
_lock = threading.Lock()
_known: set[str] = set()
_installed = False


def redact(text: str) -> str:
    """The text with known secret values, secret query parameters and private keys masked."""
    if "PRIVATE KEY-----" in text:
        text = _PEM.sub("[private key redacted]", text)
    for value in _known:
        if value in text:
            text = text.replace(value, MASK)
    if "=" in text:
        text = _QUERY.sub(lambda m: f"{m.group(1)}={MASK}", text)
    return text


def protect_logs(values: Iterable[str]) -> None:
    """Mask `values` (and secret-looking parameters) in every log record this process makes from now on."""
    global _installed
    with _lock:
        _known.update(v for v in values if v and len(v) >= MIN_LENGTH)
        for value in list(_known):
            if "PRIVATE KEY-----" in value:  # a JSON of PEMs: mask each key body too
                _known.update(line for line in value.replace("\\n", "\n").splitlines() if len(line) >= 40)
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args, **kwargs) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _scrub(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def _scrub(record: logging.LogRecord) -> None:
    """Format the message now, masked, and the traceback too (handlers then use the masked text)."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string is the handler's problem, not ours
        return
    masked = redact(message)
    if masked != message:
        record.msg, record.args = masked, ()
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
