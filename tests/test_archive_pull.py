"""Pulling the archive on SQLite and PostgreSQL: batches, restart safety, concurrency, the 5-day window, the bot."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select, update

from app.services import install
from app.store import archive as store
from app.store.models import ArchiveCursor, ArchivedMessage, OutboxAction
from jobs.pipeline.archive_pull import pull_archive, pull_archive_job
from sandbox import SandboxConfig, SandboxServer
from tests.archive_helpers import archive_services, chat, cursor, seqs, stored
from tests.callbacks import post_event, sample_xml


@pytest.fixture
def sandbox():
    """A default sandbox."""
    with SandboxServer.start(SandboxConfig()) as sb:
        yield sb


@pytest.fixture
def services(database_url, sandbox):
    """Services reading the sandbox's archive with every private key."""
    built = archive_services(database_url, sandbox)
    yield built
    built.close()


def test_250_messages_in_batches_of_100(sandbox, services):
    ext = chat(sandbox.state, 250)
    report = pull_archive(services, limit=100)
    assert (report.fetched, report.stored, report.batches, report.last_seq) == (250, 250, 3, 250)
    assert seqs(services) == list(range(1, 251))
    assert cursor(services) == 250
    with services.sessions() as session:
        rows = session.scalars(select(ArchivedMessage).order_by(ArchivedMessage.seq).limit(2)).all()
    assert [(r.external_userid, r.userid, r.direction) for r in rows] == [
        (ext, "zhangsan", "in"), (ext, "zhangsan", "out")]
    assert rows[0].text == "消息 0"
    assert rows[0].msgtype == "text"
    assert pull_archive(services, limit=100).stored == 0


def test_crash_inside_the_batch_transaction_leaves_no_duplicates_and_no_gaps(sandbox, services, monkeypatch):
    chat(sandbox.state, 250)
    real_insert, calls = store.insert_messages, []

    def insert_then_crash(session, rows):
        created = real_insert(session, rows)
        calls.append(len(created))
        if len(calls) == 2:
            raise RuntimeError("worker killed after inserting the second batch")
        return created

    monkeypatch.setattr(store, "insert_messages", insert_then_crash)
    with pytest.raises(RuntimeError):
        pull_archive(services, limit=100)
    assert calls == [100, 100]
    assert seqs(services) == list(range(1, 101))
    assert cursor(services) == 100
    monkeypatch.undo()
    report = pull_archive(services, limit=100)
    assert report.stored == 150
    assert report.duplicates == 0
    assert seqs(services) == list(range(1, 251))
    assert cursor(services) == 250


def test_crash_before_the_cursor_moves_rolls_back_the_inserts(sandbox, services, monkeypatch):
    chat(sandbox.state, 150)

    def crash(session, corp_id, last_seq):
        raise RuntimeError("killed between insert and cursor update")

    monkeypatch.setattr(store, "advance_cursor", crash)
    with pytest.raises(RuntimeError):
        pull_archive(services, limit=100)
    assert stored(services) == 0
    assert cursor(services) == 0
    monkeypatch.undo()
    pull_archive(services, limit=100)
    assert seqs(services) == list(range(1, 151))
    assert cursor(services) == 150


def test_messages_already_stored_are_not_duplicated(sandbox, services, database_url):
    chat(sandbox.state, 120)
    other = archive_services(database_url, sandbox)
    try:
        pull_archive(other, limit=100)
        with other.sessions() as session, session.begin():
            session.execute(update(ArchiveCursor).values(last_seq=40))
    finally:
        other.close()
    report = pull_archive(services, limit=100)
    assert (report.stored, report.duplicates) == (0, 80)
    assert seqs(services) == list(range(1, 121))
    assert cursor(services) == 120


def test_two_concurrent_pulls_do_not_duplicate(sandbox, services, database_url):
    for userid in ("zhangsan", "lisi", "wangwu"):
        chat(sandbox.state, 100, userid)
    second = archive_services(database_url, sandbox)
    reports, errors, start = [], [], threading.Barrier(2)

    def run(svc):
        start.wait()
        try:
            reports.append(pull_archive(svc, limit=50))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(svc,)) for svc in (services, second)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        second.close()
    assert errors == []
    assert sum(r.stored for r in reports) == 300
    assert seqs(services) == list(range(1, 301))
    assert cursor(services) == 300


def test_messages_older_than_five_days_are_not_served(sandbox, services):
    state = sandbox.state
    chat(state, 10)
    state.advance(5 * 86400 + 3600)
    chat(state, 5)
    report = pull_archive(services)
    assert report.fetched == 5
    assert seqs(services) == [11, 12, 13, 14, 15]
    assert cursor(services) == 15


def test_lag_over_four_days_is_alerted(sandbox, services, caplog):
    state = sandbox.state
    chat(state, 3)
    state.advance(4 * 86400 + 3600)
    now = datetime.fromtimestamp(state.clock.now(), timezone.utc)
    with caplog.at_level(logging.WARNING, logger="jobs.pipeline.archive_pull"):
        report = pull_archive(services, now=now)
    assert report.lag_alerts == 1
    assert report.lag_seconds > 4 * 86400
    assert "archive lag" in caplog.text
    assert pull_archive(services, now=now).lag_alerts == 0


def test_the_inquiry_step_gets_new_prospect_message_ids_once(sandbox, services):
    chat(sandbox.state, 6)
    seen: list[list[int]] = []

    def hook(_services, ids: list[int]) -> None:
        seen.append(ids)

    pull_archive(services, limit=4, on_messages=hook)
    pull_archive(services, limit=4, on_messages=hook)
    with services.sessions() as session:
        inbound = list(session.scalars(select(ArchivedMessage.id).where(ArchivedMessage.direction == "in")
                                       .order_by(ArchivedMessage.seq)))
    assert [i for ids in seen for i in ids] == inbound
    assert len(inbound) == 3


def test_msgaudit_notify_callback_pulls_the_archive(world, vectors):
    state = world.state
    ext = chat(state, 7)
    post_event(world.client, world.services.crypto, sample_xml(vectors, "msgaudit_notify", state.config.corp_id))
    world.drain()
    with world.services.sessions() as session:
        action = session.scalars(select(OutboxAction).where(OutboxAction.kind == "pull_archive")).one()
        rows = session.scalar(select(func.count()).select_from(ArchivedMessage)
                              .where(ArchivedMessage.external_userid == ext))
    assert action.status == "done"
    assert action.queue == "welcome"
    assert action.key.startswith("pull-archive:")
    assert action.result["stored"] == 7
    assert rows == 7


def test_rq_entry_pulls_with_the_installed_services(sandbox, services):
    chat(sandbox.state, 4)
    install(services)
    assert pull_archive_job()["stored"] == 4
    assert cursor(services) == 4
