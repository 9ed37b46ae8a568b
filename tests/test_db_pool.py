"""PostgreSQL engines: pooled connections tested after sitting idle (replaced when cut); durable commits where acks
depend on them."""
from __future__ import annotations

from sqlalchemy import create_engine, text

import app.store.db as db


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_cut_while_idle_is_replaced_on_checkout(pg_database, monkeypatch):
    monkeypatch.setattr(db, "IDLE_BEFORE_PING", 0.0)
    engine, admin = db.make_engine(pg_database), create_engine(pg_database)
    try:
        first = _backend_pid(engine)
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar_one()
        second = _backend_pid(engine)
        assert second != first
    finally:
        engine.dispose()
        admin.dispose()


def test_a_connection_returned_a_moment_ago_is_reused_without_a_ping(pg_database):
    engine = db.make_engine(pg_database)
    pings = []
    original = engine.dialect.do_ping
    engine.dialect.do_ping = lambda connection: pings.append(connection) or original(connection)
    try:
        assert _backend_pid(engine) == _backend_pid(engine)
        assert pings == []
    finally:
        engine.dispose()


def _synchronous_commit(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SHOW synchronous_commit")).scalar_one()


def test_worker_commits_do_not_wait_for_the_wal_flush_callback_commits_do(pg_database):
    worker, web = db.make_engine(pg_database, durable_commits=False), db.make_engine(pg_database)
    try:
        assert (_synchronous_commit(worker), _synchronous_commit(web)) == ("off", "on")
    finally:
        worker.dispose()
        web.dispose()
