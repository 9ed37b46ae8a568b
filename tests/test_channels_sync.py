"""Channel sync against the sandbox: one contact way per channel in channels.yaml, created once, never twice."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.store.content_cache import ContentStore
from app.store.models import Channel
from app.wiring import build_services
from jobs.periodic.channels import sync_channels
from sandbox import SandboxConfig, SandboxServer
from tests.processes import run
from tests.settings import make_settings

BOOK = ContentStore().channels()
CHANNELS_YAML = ContentStore().channels_path.read_text(encoding="utf-8")


@pytest.fixture
def sandbox():
    server = SandboxServer.start(SandboxConfig())
    yield server
    server.stop()


def sandbox_env(sandbox, database_url: str) -> dict[str, str]:
    config = sandbox.state.config
    return {"DATABASE_URL": database_url, "WECOM_CORP_ID": config.corp_id, "WECOM_TOKEN": config.callback_token,
            "WECOM_AES_KEY": config.encoding_aes_key, "WECOM_SECRET": config.secrets[0],
            "WECOM_API_BASE": sandbox.api_base, "LOG_LEVEL": "WARNING"}


@pytest.fixture
def services(sandbox, database_url, redis_url, redis):
    env = sandbox_env(sandbox, database_url)
    built = build_services(make_settings(database_url, redis_url, wecom_corp_id=env["WECOM_CORP_ID"],
                                         wecom_token=env["WECOM_TOKEN"], wecom_aes_key=env["WECOM_AES_KEY"],
                                         wecom_secret=env["WECOM_SECRET"], wecom_api_base=env["WECOM_API_BASE"]))
    yield built
    built.close()


def test_each_channel_gets_one_contact_way_and_a_second_run_creates_none(sandbox, services):
    first = sync_channels(services)
    ways = dict(sandbox.state.contacts.contact_ways)
    assert len(ways) == 3
    assert all(s.created for s in first)
    assert {w["state"]: w["user"] for w in ways.values()} == {s: list(c.staff) for s, c in BOOK.channels.items()}
    second = sync_channels(services)
    assert sandbox.state.contacts.contact_ways == ways
    assert not any(s.created for s in second)
    assert [(s.state, s.config_id, s.qr_code) for s in second] == [(s.state, s.config_id, s.qr_code) for s in first]
    with services.sessions() as session:
        rows = {row.state: row for row in session.execute(select(Channel)).scalars()}
    assert set(rows) == set(BOOK.channels)
    for state, channel in BOOK.channels.items():
        row = rows[state]
        assert ways[row.config_id]["state"] == state
        assert row.qr_code.endswith(row.config_id)
        assert (row.name, row.owner_userids) == (channel.name, list(channel.staff))
        assert row.welcome_text == channel.welcome_text
        assert (row.welcome_attachments, row.initial_tags) == (channel.welcome_attachments, list(channel.initial_tags))
        assert row.initial_stage == channel.initial_stage
        assert row.synced_at is not None


def test_a_channel_whose_staff_changed_is_updated_not_re_created(sandbox, services, tmp_path):
    sync_channels(services)
    edited = tmp_path / "channels.yaml"
    text = (CHANNELS_YAML.replace("name: 官网价格页", "name: 官网价格页（新）")
            .replace("staff: [lisi, wangwu]", "staff: [lisi]"))
    edited.write_text(text, encoding="utf-8")
    services.content = ContentStore(channels_path=edited)
    synced = {s.state: s for s in sync_channels(services)}
    assert len(sandbox.state.contacts.contact_ways) == 3
    assert not synced["site_qr_pricing"].created
    assert "differ" in synced["site_qr_pricing"].note
    with services.sessions() as session:
        row = session.execute(select(Channel).where(Channel.state == "site_qr_pricing")).scalar_one()
        assert (row.name, row.owner_userids) == ("官网价格页（新）", ["lisi", "wangwu"])


def test_scrm_channels_sync_prints_each_qr_code_once_created(sandbox, database_url, tmp_path):
    env = sandbox_env(sandbox, database_url)
    first = run(["channels", "sync"], tmp_path, **env)
    assert first.returncode == 0, first.stdout + first.stderr
    urls = {way["state"]: f"https://wework.sandbox/qr/{cid}"
            for cid, way in sandbox.state.contacts.contact_ways.items()}
    lines = first.stdout.strip().splitlines()
    assert len(lines) == 3
    assert all("\tcreated\t" in line for line in lines)
    assert {line.split("\t")[0]: line.split("\t")[-1] for line in lines} == urls
    second = run(["channels", "sync"], tmp_path, **env)
    assert second.returncode == 0
    assert len(sandbox.state.contacts.contact_ways) == 3
    assert all("\talready synced\t" in line for line in second.stdout.strip().splitlines())

