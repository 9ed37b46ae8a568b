"""The `scrm` command line as a user runs it: migrations on both databases, the demo end to end."""
from __future__ import annotations

import subprocess

from sqlalchemy import inspect

from app.store.db import make_engine
from tests.processes import SCRM, clean_env, run


def test_db_upgrade_on_a_new_database(tmp_path, pg_url):
    for url in (f"sqlite:///{tmp_path / 'fresh.db'}", pg_url):
        result = run(["db", "upgrade"], tmp_path, DATABASE_URL=url)
        assert result.returncode == 0, result.stderr
        engine = make_engine(url)
        assert "inbox_events" in inspect(engine).get_table_names()
        engine.dispose()


def test_demo_once_exits_zero_with_a_summary(tmp_path):
    result = run(["demo", "--once", "--port", "0"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "callback URL verification (GET echostr): ok" in result.stdout
    assert "sandbox platform-rule violations: 0" in result.stdout
    assert (tmp_path / "var" / "scrm.db").exists()


def test_worker_refuses_to_start_without_redis(tmp_path):
    result = run(["worker", "--burst"], tmp_path)
    assert result.returncode == 2
    assert "REDIS_URL is not set" in result.stderr


def test_serve_migrates_sqlite_and_accepts_callbacks(tmp_path, vectors):
    import requests

    from app.wecom.crypto import CallbackCrypto
    from app.wecom.envelope import seal_envelope
    from bench.harness import wait_for_port
    from demo.ports import free_port
    from tests.callbacks import sample_xml

    port = free_port()
    env = {"WECOM_CORP_ID": vectors["corp_id"], "WECOM_TOKEN": vectors["token"],
           "WECOM_AES_KEY": vectors["encoding_aes_key"], "SCRM_ADMIN_TOKEN": "t"}
    proc = subprocess.Popen(SCRM + ["serve", "--port", str(port)], cwd=tmp_path, env=clean_env(**env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {"status": "ok"}
        crypto = CallbackCrypto(vectors["token"], vectors["encoding_aes_key"], vectors["corp_id"])
        args, body = seal_envelope(crypto, sample_xml(vectors, "edit_external_contact"), "1700000000", "n1")
        answer = requests.post(f"http://127.0.0.1:{port}/wecom/callback", params=args, data=body, timeout=5)
        assert answer.status_code == 200
        assert answer.text == "success"
        events = requests.get(f"http://127.0.0.1:{port}/api/events", headers={"Authorization": "Bearer t"},
                              timeout=5).json()
        assert [e["change_type"] for e in events["events"]] == ["edit_external_contact"]
    finally:
        proc.terminate()
        proc.wait(10)
    assert (tmp_path / "var" / "scrm.db").exists()
