"""Pull the archive from the durable cursor: fetch, decrypt, store and advance in one transaction per batch."""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from app.store import archive as store
from app.wecom.archive.hooks import on_new_messages
from app.wecom.archive.keys import ArchiveKeys
from app.wecom.archive.reader import ArchiveError, ArchiveReader, ChatMessage, RawChat
from app.wecom.archive.sandbox_reader import SandboxArchiveReader, sandbox_private_keys, sandbox_root

log = logging.getLogger(__name__)

LAG_ALERT = timedelta(days=4)
READER_KEY = "archive_reader"


@dataclass
class PullReport:
    """What one pull did; `lag_alerts` counts pulls whose newest message was already close to expiry."""

    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    skipped: int = 0
    batches: int = 0
    retried_batches: int = 0
    last_seq: int = 0
    lag_alerts: int = 0
    lag_seconds: float | None = None
    hook_failures: int = 0

    def counts(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return asdict(self)


def build_reader(settings: Any) -> ArchiveReader:
    """Build the reader named by ARCHIVE_SOURCE: the sandbox over HTTP or the native Finance SDK."""
    keys = ArchiveKeys.from_setting(settings.archive_private_keys)
    if settings.archive_source == "sandbox":
        root = sandbox_root(settings.wecom_api_base)
        if not settings.archive_private_keys:
            keys = sandbox_private_keys(root, settings.wecom_timeout)
        return SandboxArchiveReader(root, settings.archive_secret, keys, timeout=settings.wecom_timeout)
    if settings.archive_source == "native":
        from app.wecom.archive.native_reader import NativeArchiveReader

        return NativeArchiveReader(settings.archive_sdk_path, settings.wecom_corp_id, settings.archive_secret, keys,
                                   proxy=settings.archive_proxy, proxy_password=settings.archive_proxy_password)
    raise ArchiveError(f"ARCHIVE_SOURCE must be 'sandbox' or 'native', got {settings.archive_source!r}")


def archive_reader(services: Any) -> ArchiveReader:
    """Return the process's reader, built once (the native SDK must be initialised only once)."""
    reader = services.extras.get(READER_KEY)
    if reader is None:
        reader = services.extras[READER_KEY] = build_reader(services.settings)
    return reader


def _decrypt_prefix(reader: ArchiveReader, raws: list[RawChat]) -> tuple[list[ChatMessage], ArchiveError | None]:
    """Decrypt in order, stopping at the first failure; return what decrypted and the error."""
    messages: list[ChatMessage] = []
    for raw in raws:
        try:
            messages.append(reader.decrypt(raw))
        except ArchiveError as err:
            return messages, err
    return messages, None


def _store_batch(services: Any, corp_id: str, from_seq: int, messages: list[ChatMessage],
                 report: PullReport) -> list[int] | None:
    """Insert the batch and advance the cursor in one transaction; None when another pull moved the cursor."""
    rows = [row for row in map(store.message_row, messages) if row is not None]
    with services.sessions() as session, session.begin():
        if store.lock_cursor(session, corp_id) != from_seq:
            return None
        created = store.insert_messages(session, rows)
        store.advance_cursor(session, corp_id, messages[-1].seq)
    report.stored += len(created)
    report.duplicates += len(rows) - len(created)
    report.skipped += len(messages) - len(rows)
    report.last_seq = messages[-1].seq
    return [row_id for row_id, direction in created if direction == "in"]


def _check_lag(report: PullReport, newest: datetime | None, now: datetime) -> None:
    """Alert when the newest fetched message is older than LAG_ALERT (the archive keeps only 5 days)."""
    if newest is None:
        return
    report.lag_seconds = (now - newest).total_seconds()
    if now - newest > LAG_ALERT:
        report.lag_alerts += 1
        log.warning("archive lag: newest fetched message is %.1f days old (seq %d); the archive keeps only 5 days",
                    report.lag_seconds / 86400, report.last_seq)


def pull_archive(services: Any, limit: int = 1000, reader: ArchiveReader | None = None,
                 now: datetime | None = None) -> PullReport:
    """Pull every new archived message from the corp's cursor until a short batch; safe to run concurrently."""
    reader = reader or archive_reader(services)
    corp_id = services.settings.wecom_corp_id
    report = PullReport()
    newest: datetime | None = None
    while True:
        with services.sessions() as session:
            from_seq = store.cursor_of(session, corp_id)
        report.last_seq = max(report.last_seq, from_seq)
        raws = reader.fetch(from_seq, limit)
        report.batches += 1
        report.fetched += len(raws)
        messages, error = _decrypt_prefix(reader, raws)
        if messages:
            inbound = _store_batch(services, corp_id, from_seq, messages, report)
            if inbound is None:
                report.retried_batches += 1
                continue
            newest = max(newest or messages[-1].msgtime, messages[-1].msgtime)
            if inbound:
                report.hook_failures += on_new_messages(services, inbound)
        if error is not None:
            log.error("archive pull stopped at seq %d: %s", raws[len(messages)].seq, error)
            raise error
        if len(raws) < limit:
            break
    _check_lag(report, newest, now or datetime.now(timezone.utc))
    log.info("archive pull: %d fetched, %d stored, %d duplicates, %d skipped, cursor %d",
             report.fetched, report.stored, report.duplicates, report.skipped, report.last_seq)
    return report


def pull_archive_job() -> dict[str, Any]:
    """rq entry point: pull the archive with the process's services."""
    from app.services import current_services

    return pull_archive(current_services()).counts()
