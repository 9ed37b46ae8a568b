"""Callbacks: real event XML, WeCom's encryption and signature, asynchronous delivery and retries."""
from __future__ import annotations

from sandbox.callbacks import event_xml
from tests.sandbox.conftest import open_callback


def _open(sandbox, req) -> str:
    cfg = sandbox.state.config
    return open_callback(cfg.callback_token, cfg.encoding_aes_key, cfg.corp_id, req["args"], req["body"])


def test_event_xml_matches_the_documented_shape(vectors):
    sample = vectors["sample_events"]["add_external_contact"]
    fields = {"ToUserName": "toUser", "FromUserName": "sys", "CreateTime": 1403610513, "MsgType": "event",
              "Event": "change_external_contact", "ChangeType": "add_external_contact", "UserID": "zhangsan",
              "ExternalUserID": "woAJ2GCAAAXtWyujaWJHDDGi0mACAAAA", "State": "teststate",
              "WelcomeCode": "WELCOMECODE"}
    assert event_xml(fields) == sample


def test_add_event_is_encrypted_signed_and_decryptable(start_sandbox, receiver_factory):
    receiver = receiver_factory()
    sandbox = start_sandbox(callback_url=receiver.url)
    added = sandbox.state.contacts.add_prospect("zhangsan", state="webinar_0302")
    assert sandbox.state.core.wait_callbacks(1, timeout=10)
    delivery = sandbox.state.core.callbacks_sent[0]
    assert (delivery.status, delivery.attempts, delivery.http_status) == ("delivered", 1, 200)
    xml = _open(sandbox, receiver.requests[0])
    assert xml == delivery.xml
    for part in ("<ToUserName><![CDATA[ww5andb0x0000001]]></ToUserName>", "<FromUserName><![CDATA[sys]]>",
                 "<MsgType><![CDATA[event]]>", "<Event><![CDATA[change_external_contact]]>",
                 "<ChangeType><![CDATA[add_external_contact]]>", "<UserID><![CDATA[zhangsan]]>",
                 f"<ExternalUserID><![CDATA[{added['external_userid']}]]>", "<State><![CDATA[webinar_0302]]>",
                 f"<WelcomeCode><![CDATA[{added['welcome_code']}]]>"):
        assert part in xml
    body = receiver.requests[0]["body"]
    assert body.startswith("<xml><ToUserName><![CDATA[ww5andb0x0000001]]></ToUserName><Encrypt><![CDATA[")
    assert body.endswith("<AgentID><![CDATA[1000002]]></AgentID></xml>")


def test_every_change_type_is_delivered(start_sandbox, receiver_factory):
    receiver = receiver_factory()
    sandbox = start_sandbox(callback_url=receiver.url, callback_workers=1)
    state = sandbox.state
    a = state.contacts.add_prospect("zhangsan", half=True)["external_userid"]
    b = state.contacts.add_prospect("lisi")["external_userid"]
    tag = state.tags.add_corp_tag({"group_name": "旅程", "tag": [{"name": "新线索"}]}, emit=True)["tag"][0]["id"]
    state.contacts.edit_contact("lisi", b, add_tags=(tag,))
    state.contacts.delete_follow(a, "zhangsan")
    state.contacts.staff_delete_contact("lisi", b)
    assert state.core.wait_callbacks(6, timeout=10)
    kinds = [d.event for d in state.core.callbacks_sent]
    assert kinds == ["add_half_external_contact", "add_external_contact", "change_external_tag",
                     "edit_external_contact", "del_follow_user", "del_external_contact"]
    assert "<Event><![CDATA[change_external_tag]]></Event><ChangeType><![CDATA[create]]>" in _open(
        sandbox, receiver.requests[2])


def test_slow_answer_is_retried_with_new_nonce_and_same_plaintext(start_sandbox, receiver_factory):
    receiver = receiver_factory(stall_first=1, stall_seconds=3.0)
    sandbox = start_sandbox(callback_url=receiver.url, callback_timeout=0.5)
    sandbox.state.contacts.add_prospect("wangwu", state="expo")
    assert sandbox.state.core.wait_callbacks(1, timeout=10)
    delivery = sandbox.state.core.callbacks_sent[0]
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert delivery.errors == ["ReadTimeout"]
    assert delivery.latency is not None
    assert delivery.latency >= 0.5
    first, second = receiver.requests[:2]
    assert first["args"]["nonce"] != second["args"]["nonce"]
    assert _open(sandbox, first) == _open(sandbox, second) == delivery.xml


def test_failing_endpoint_gets_three_attempts_in_all(start_sandbox, receiver_factory):
    receiver = receiver_factory(fail_status=500)
    sandbox = start_sandbox(callback_url=receiver.url)
    sandbox.state.contacts.add_prospect("lisi")
    assert sandbox.state.core.wait_callbacks(1, timeout=10)
    delivery = sandbox.state.core.callbacks_sent[0]
    assert (delivery.status, delivery.attempts, delivery.http_status) == ("failed", 3, 500)
    assert len(receiver.requests) == 3


def test_no_callback_url_records_without_sending(sandbox):
    sandbox.state.contacts.add_prospect("lisi", emit=False)
    sandbox.state.contacts.add_prospect("lisi")
    assert [d.status for d in sandbox.state.core.callbacks_sent] == ["no_url"]
