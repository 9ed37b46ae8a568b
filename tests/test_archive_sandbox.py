"""The sandbox's session archive: versioned keys, GetChatData's shape and rules, msgaudit_notify, no key leaks."""
from __future__ import annotations

import json
import logging
import xml.etree.ElementTree as ET

import pytest
import requests

from app.wecom.archive.build import build_reader
from app.wecom.archive.keys import ArchiveKeys
from app.wecom.archive.reader import UnknownKeyVersion
from app.wecom.archive.sandbox_reader import SandboxArchiveReader
from jobs.pipeline.archive_pull import pull_archive
from sandbox import SandboxConfig, SandboxServer
from tests.archive_helpers import archive_services, chat, cursor, seqs
from tests.settings import make_settings

SECRET = "sandbox-archive-secret"


@pytest.fixture
def sandbox():
    """A sandbox with the default archive keys (versions 1 and 2)."""
    with SandboxServer.start(SandboxConfig()) as sb:
        yield sb


def reader_for(sandbox: SandboxServer, versions: list[int] | None = None) -> SandboxArchiveReader:
    keys = {v: pem for v, pem in sandbox.state.archive.private_keys().items() if versions is None or v in versions}
    return SandboxArchiveReader(sandbox.url, SECRET, ArchiveKeys.from_pems(keys))


def test_messages_sealed_with_key_v1_then_v2_both_decrypt(sandbox):
    state = sandbox.state
    assert sorted(state.archive.private_keys()) == [1, 2]
    ext = state.contacts.add_prospect("zhangsan")["external_userid"]
    state.archive.use_key(1)
    first = state.contacts.record_message(ext, "zhangsan", "你好，想了解一下")
    state.archive.use_key(2)
    second = state.contacts.record_message(ext, "zhangsan", "您好！", from_prospect=False)
    reader = reader_for(sandbox)
    raws = reader.fetch(0, 10)
    assert [(r.seq, r.msgid, r.publickey_ver) for r in raws] == [(1, first["msgid"], 1), (2, second["msgid"], 2)]
    one, two = (reader.decrypt(r) for r in raws)
    assert (one.sender, one.tolist, one.text, one.msgtype) == (ext, ("zhangsan",), "你好，想了解一下", "text")
    assert (two.sender, two.tolist, two.text) == ("zhangsan", (ext,), "您好！")
    assert one.msgtime.tzinfo is not None
    assert int(one.msgtime.timestamp() * 1000) == first["msgtime"]
    assert [r.seq for r in reader.fetch(1, 10)] == [2]


def test_newest_configured_version_seals_new_messages():
    with SandboxServer.start(SandboxConfig(archive_key_versions=(1, 2, 5))) as sb:
        chat(sb.state, 1)
        assert [r.publickey_ver for r in reader_for(sb).fetch(0, 10)] == [5]


def test_getchatdata_shape_and_rules(sandbox):
    chat(sandbox.state, 3)
    url = sandbox.url + "/sandbox/finance/getchatdata"
    answer = requests.post(url, json={"seq": 0, "limit": 2, "secret": SECRET}, timeout=5).json()
    assert answer["errcode"] == 0
    assert len(answer["chatdata"]) == 2
    assert set(answer["chatdata"][0]) == {"seq", "msgid", "publickey_ver", "encrypt_random_key", "encrypt_chat_msg"}
    assert requests.post(url, json={"seq": 0, "limit": 1001, "secret": SECRET}, timeout=5).json()["errcode"] == 40058
    assert requests.post(url, json={"seq": 0, "limit": 10, "secret": "wrong"}, timeout=5).json()["errcode"] == 40001


def test_unknown_key_version_is_a_clear_error_and_the_cursor_stops_before_it(sandbox, database_url):
    state = sandbox.state
    ext = chat(state, 3)
    state.archive.use_key(3)
    state.contacts.record_message(ext, "zhangsan", "用新密钥加密")
    chat(state, 2)
    services = archive_services(database_url, sandbox, versions=[1, 2])
    try:
        with pytest.raises(UnknownKeyVersion, match=r"publickey_ver 3 \(seq 4.*ARCHIVE_PRIVATE_KEYS"):
            pull_archive(services)
        assert cursor(services) == 3
        assert seqs(services) == [1, 2, 3]
        with pytest.raises(UnknownKeyVersion):
            pull_archive(services)
        assert cursor(services) == 3
        services.settings.archive_private_keys = json.dumps(state.archive.private_keys())
        pull_archive(services, reader=build_reader(services.settings))  # as after a restart with the new keys
        assert cursor(services) == 6
        assert seqs(services) == [1, 2, 3, 4, 5, 6]
    finally:
        services.close()


def test_record_message_emits_msgaudit_notify_batched_per_second(vectors):
    config = SandboxConfig(callback_url="http://127.0.0.1:9/unreachable", callback_attempts=1)
    with SandboxServer.start(config) as sb:
        ext = sb.state.contacts.add_prospect("zhangsan", emit=False)["external_userid"]
        for i in range(5):
            sb.state.contacts.record_message(ext, "zhangsan", f"第{i}条")
        assert sb.state.core.wait_callbacks(1, timeout=5)
        assert sb.state.core.wait_callbacks(2, timeout=5)
        assert not sb.state.core.wait_callbacks(3, timeout=1.5)
        notes = [d for d in sb.state.core.callbacks_sent if d.event == "msgaudit_notify"]
    assert len(notes) == 2
    sent, sample = ET.fromstring(notes[0].xml), ET.fromstring(vectors["sample_events"]["msgaudit_notify"])
    assert [e.tag for e in sent] == [e.tag for e in sample]
    assert (sent.findtext("Event"), sent.findtext("FromUserName"), sent.findtext("AgentID")) == (
        "msgaudit_notify", "sys", "2000004")


def test_no_notify_without_a_callback_url(sandbox):
    chat(sandbox.state, 3)
    assert all(d.event != "msgaudit_notify" for d in sandbox.state.core.callbacks_sent)


def test_private_keys_never_appear_in_logs_or_repr(sandbox, database_url, caplog):
    pems = sandbox.state.archive.private_keys()
    secret_lines = [line for pem in pems.values() for line in pem.splitlines()[1:-1]]
    chat(sandbox.state, 4)
    services = archive_services(database_url, sandbox, versions=[1])
    caplog.set_level(logging.DEBUG)
    try:
        with pytest.raises(UnknownKeyVersion) as raised:
            pull_archive(services)
        reader = services.archive_reader
        shown = [repr(reader), str(reader), repr(reader.keys), repr(services.settings), str(services.settings),
                 str(raised.value), caplog.text, repr(build_reader(services.settings))]
        shown.append(repr(make_settings("sqlite://", None, archive_private_keys=json.dumps({"1": pems[1]}))))
    finally:
        services.close()
    joined = "\n".join(shown)
    assert "PRIVATE KEY" not in joined
    assert not any(line in joined for line in secret_lines)
    assert "versions=[1]" in repr(reader)


def test_sandbox_source_without_configured_keys_takes_the_sandboxs(sandbox):
    settings = make_settings("sqlite://", None, wecom_api_base=sandbox.api_base)
    reader = build_reader(settings)
    assert reader.keys.versions == [1, 2]
    chat(sandbox.state, 1)
    assert reader.decrypt(reader.fetch(0, 10)[0]).text == "消息 0"
