"""Callback crypto and parsing against WeCom's official vectors and sample events."""
from __future__ import annotations

import pytest
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

from app.wecom import events as ev
from app.wecom.crypto import CallbackCrypto
from app.wecom.envelope import CallbackRejected, open_envelope, parse_flat_xml, seal_envelope, verify_url


def crypto_of(vectors: dict, key: str | None = None) -> CallbackCrypto:
    source = vectors[key] if key else vectors
    return CallbackCrypto(source["token"], source["encoding_aes_key"], source["corp_id"])


@pytest.mark.parametrize("which", [None, "second_official_set"])
def test_url_verification_returns_official_plaintext(vectors, which):
    source = vectors[which] if which else vectors
    vector = source["url_verification"]
    args = {k: vector[k] for k in ("msg_signature", "timestamp", "nonce", "echostr")}
    assert verify_url(args, crypto_of(vectors, which)) == vector["plaintext"]


def test_official_message_with_pad_byte_30_decrypts(vectors):
    vector = vectors["encrypted_message"]
    args = {k: vector[k] for k in ("msg_signature", "timestamp", "nonce")}
    envelope = open_envelope(args, vector["body"].encode(), crypto_of(vectors))
    for name, value in vector["plaintext_fields"].items():
        assert envelope.fields[name] == value


def test_second_official_message_decrypts_to_official_plaintext(vectors):
    source = vectors["second_official_set"]
    crypto = crypto_of(vectors, "second_official_set")
    assert crypto.decrypt(source["encrypted_message"]["encrypt"]).decode() == source["encrypted_message"]["plaintext"]


def test_wrong_corp_id_is_refused(vectors):
    vector = vectors["encrypted_message"]
    args = {k: vector[k] for k in ("msg_signature", "timestamp", "nonce")}
    other = CallbackCrypto(vectors["token"], vectors["encoding_aes_key"], "ww_not_our_corp")
    with pytest.raises(CallbackRejected) as caught:
        open_envelope(args, vector["body"].encode(), other)
    assert caught.value.status == 403


def test_interoperates_with_wechatpy_both_ways(vectors):
    crypto = crypto_of(vectors)
    xml = "<xml><ToUserName>wx5823bf96d3bd56c7</ToUserName><Content>你好</Content></xml>"
    theirs = PrpCrypto(crypto.key).encrypt(xml, crypto.receive_id)
    assert crypto.decrypt(theirs.decode() if isinstance(theirs, bytes) else theirs).decode() == xml
    ours = crypto.encrypt(xml.encode())
    assert PrpCrypto(crypto.key).decrypt(ours, crypto.receive_id) == xml
    args, body = seal_envelope(crypto, xml, "1409659813", "1372623149")
    plain = WeChatCrypto(crypto.token, crypto.aes_key, crypto.receive_id).decrypt_message(
        body.decode(), args["msg_signature"], args["timestamp"], args["nonce"]
    )
    assert plain == xml


EXPECTED = {
    "add_external_contact": (ev.ContactAdded, {"userid": "zhangsan", "half": False}),
    "add_external_contact_same_second": (ev.ContactAdded, {"userid": "lisi"}),
    "add_half_external_contact": (ev.ContactAdded, {"half": True}),
    "edit_external_contact": (ev.ContactEdited, {"userid": "zhangsan"}),
    "del_external_contact": (ev.ContactDeleted, {"userid": "zhangsan"}),
    "del_follow_user": (ev.FollowUserDeleted, {"userid": "zhangsan"}),
    "transfer_fail": (ev.TransferFailed, {"fail_reason": "customer_refused"}),
    "change_external_chat_update": (ev.ExternalChatChanged, {"change_type": "update"}),
    "change_external_tag_create": (ev.ExternalTagChanged, {"change_type": "create", "tag_type": "tag"}),
    "msgaudit_notify": (ev.ArchiveNotify, {"kind": "msgaudit_notify"}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_sample_event_decrypts_and_parses(vectors, name):
    crypto = crypto_of(vectors)
    xml = vectors["sample_events"][name].replace("toUser", crypto.receive_id)
    args, body = seal_envelope(crypto, xml, "1403610513", "nonce123")
    envelope = open_envelope(args, body, crypto)
    event = ev.parse_event(envelope.fields)
    cls, attrs = EXPECTED[name]
    assert type(event) is cls
    assert event.corp_id == crypto.receive_id
    for attr, value in attrs.items():
        assert getattr(event, attr) == value
    if isinstance(event, ev.ContactEvent):
        assert event.external_userid
    assert event.create_time > 0


def test_contact_added_carries_state_and_welcome_code(vectors):
    fields = parse_flat_xml(vectors["sample_events"]["add_external_contact"].encode())
    event = ev.parse_event(fields)
    assert event.state
    assert event.welcome_code
    assert event.external_userid == fields["ExternalUserID"]


def test_unknown_event_is_kept_raw():
    fields = parse_flat_xml(b"<xml><MsgType>event</MsgType><Event>kf_msg_or_event</Event><Token>abc</Token></xml>")
    event = ev.parse_event(fields)
    assert isinstance(event, ev.UnknownEvent)
    assert event.kind == "kf_msg_or_event"
    assert event.raw["Token"] == "abc"


def test_same_second_events_have_distinct_dedupe_keys(vectors):
    crypto = crypto_of(vectors)
    keys = set()
    for name in ("add_external_contact", "add_external_contact_same_second"):
        xml = vectors["sample_events"][name].replace("toUser", crypto.receive_id)
        args, body = seal_envelope(crypto, xml, "1", "n")
        keys.add(open_envelope(args, body, crypto).dedupe_key)
    assert len(keys) == 2


def test_retry_reencrypted_keeps_dedupe_key(vectors):
    crypto = crypto_of(vectors)
    xml = vectors["sample_events"]["add_external_contact"].replace("toUser", crypto.receive_id)
    first = open_envelope(*seal_envelope(crypto, xml, "100", "a"), crypto)
    second = open_envelope(*seal_envelope(crypto, xml, "105", "b"), crypto)
    assert first.dedupe_key == second.dedupe_key
