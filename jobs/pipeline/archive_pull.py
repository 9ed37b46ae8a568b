"""Pull the archive from the durable cursor: fetch, decrypt, store and advance in one transaction per batch."""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from app.services import Services, current_services
from app.store import archive as store
from app.wecom.archive.reader import ArchiveError, ArchiveReader, ChatMessage, RawChat
from jobs.pipeline import inquiry

log = logging.getLogger(__name__)
OnMessages = Callable[[Services, list[int]], None]

LAG_ALERT = timedelta(days=4)


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


def _decrypt_prefix(reader: ArchiveReader, raws: list[RawChat]) -> tuple[list[ChatMessage], ArchiveError | None]:
    """Decrypt in order, stopping at the first failure; return what decrypted and the error."""
    messages: list[ChatMessage] = []
    for raw in raws:
        try:
            messages.append(reader.decrypt(raw))
        except ArchiveError as err:
            return messages, err
    return messages, None


def _store_batch(services: Services, corp_id: str, from_seq: int, messages: list[ChatMessage],
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


def pull_archive(services: Services, limit: int = 1000, reader: ArchiveReader | None = None,
                 now: datetime | None = None, on_messages: OnMessages = inquiry.on_messages) -> PullReport:
    """Pull every new archived message from the corp's cursor until a short batch; safe to run concurrently.

    Each stored batch's prospect messages go to `on_messages` (the inquiry bot); its failure is counted in the
    report (`hook_failures`) and does not stop the pull: the messages are stored, the nightly jobs see them.
    """
    reader = reader or services.archive_reader
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
                report.hook_failures += _handle(services, on_messages, inbound)
        if error is not None:
            log.error("archive pull stopped at seq %d: %s", raws[len(messages)].seq, error)
            raise error
        if len(raws) < limit:
            break
    _check_lag(report, newest, now or datetime.now(timezone.utc))
    log.info("archive pull: %d fetched, %d stored, %d duplicates, %d skipped, cursor %d",
             report.fetched, report.stored, report.duplicates, report.skipped, report.last_seq)
    return report


def _handle(services: Services, on_messages: OnMessages, message_ids: list[int]) -> int:
    """Hand new prospect messages to `on_messages`; return 1 when it failed (logged), else 0."""
    try:
        on_messages(services, message_ids)
    except Exception:  # noqa: BLE001 - stored messages stay stored; the failure is reported
        log.exception("handling %d new messages failed", len(message_ids))
        return 1
    return 0


def pull_archive_job() -> dict[str, Any]:
    """rq entry point: pull the archive with the process's services."""
    return pull_archive(current_services()).counts()
