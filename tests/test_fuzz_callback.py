"""Fuzzing the callback path: envelope parsing, decryption, typed events and POST /wecom/callback.

Whatever arrives, the parser raises only CallbackRejected, decryption only CryptoError, event parsing nothing;
the endpoint answers 200 for a valid callback and 4xx for anything else, and a refused callback leaves no row.
"""
from __future__ import annotations

import base64
from xml.sax.saxutils import escape

from hypothesis import event, example, given
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from app.store.models import InboxEvent
from app.wecom.crypto import CallbackCrypto, CryptoError, signature
from app.wecom.envelope import CallbackRejected, Envelope, open_envelope, parse_flat_xml, seal_envelope, verify_url
from app.wecom.events import Event, parse_event
from tests.callbacks import sample_xml
from tests.fuzzing import FUZZ

CRYPTO = CallbackCrypto("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7")
TS, NONCE = "1700000000", "fuzz"
FIELD_NAMES = ("ToUserName", "FromUserName", "CreateTime", "MsgType", "Event", "ChangeType", "UserID",
               "ExternalUserID", "State", "WelcomeCode", "Source", "FailReason", "ChatId", "UpdateDetail",
               "JoinScene", "QuitScene", "MemChangeCnt", "Id", "TagType", "StrategyId", "AgentID", "Content")
FIELD_VALUES = ("event", "text", "change_external_contact", "change_external_chat", "change_external_tag",
                "msgaudit_notify", "add_external_contact", "add_half_external_contact", "edit_external_contact",
                "del_external_contact", "del_follow_user", "transfer_fail", "create", "update", "dismiss",
                "DELETE_BY_TRANSFER", "wx5823bf96d3bd56c7", "-1", "0", "99999999999999999999999", "1403610513")
SAMPLES = ("add_external_contact", "edit_external_contact", "del_follow_user", "change_external_chat_update",
           "change_external_tag_create", "msgaudit_notify")

xml_names = st.one_of(st.sampled_from(FIELD_NAMES), st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,20}", fullmatch=True))
xml_values = st.one_of(st.sampled_from(FIELD_VALUES), st.text(max_size=60), st.integers().map(str))


@st.composite
def event_xml(draw) -> bytes:
    """An `<xml>` document of WeCom-like fields, sometimes nested, sometimes CDATA, sometimes broken."""
    parts = []
    for name, value in draw(st.lists(st.tuples(xml_names, xml_values), max_size=12)):
        style = draw(st.sampled_from(("text", "cdata", "nested", "raw")))
        if style == "cdata":
            body = f"<![CDATA[{value}]]>"
        elif style == "nested":
            body = f"<Item><{name}>{escape(value)}</{name}></Item>"
        else:
            body = escape(value) if style == "text" else value
        parts.append(f"<{name}>{body}</{name}>")
    return f"<xml>{''.join(parts)}</xml>".encode("utf-8", "surrogatepass")


query_text = st.one_of(st.text(max_size=50), st.from_regex(r"[0-9a-f]{40}", fullmatch=True), st.just(""))
query_args = st.dictionaries(st.sampled_from(("msg_signature", "timestamp", "nonce", "echostr", "x")), query_text)


def sealed(inner: bytes) -> tuple[dict[str, str], bytes]:
    """Encrypt and sign arbitrary inner bytes exactly as WeCom would."""
    encrypt = CRYPTO.encrypt(inner)
    body = (f"<xml><ToUserName><![CDATA[{CRYPTO.receive_id}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
    return ({"msg_signature": signature(CRYPTO.token, TS, NONCE, encrypt), "timestamp": TS, "nonce": NONCE},
            body.encode())


@st.composite
def mutated_envelope(draw, vectors: dict) -> tuple[dict[str, str], bytes, str]:
    """A valid sealed sample event, then one to three byte-level or query mutations: (args, body, inner xml)."""
    xml = sample_xml(vectors, draw(st.sampled_from(SAMPLES)))
    args, body = seal_envelope(CRYPTO, xml, TS, NONCE)
    body = bytearray(body)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(("flip", "delete", "insert", "truncate", "duplicate", "arg")))
        at = draw(st.integers(0, max(len(body) - 1, 0)))
        if op == "flip" and body:
            body[at] ^= draw(st.integers(1, 255))
        elif op == "delete":
            del body[at:at + draw(st.integers(1, 40))]
        elif op == "insert":
            body[at:at] = draw(st.binary(min_size=1, max_size=40))
        elif op == "truncate":
            del body[at:]
        elif op == "duplicate":
            body[at:at] = body[at:at + draw(st.integers(1, 60))]
        else:
            args = {**args, draw(st.sampled_from(sorted(args))): draw(query_text)}
    return args, bytes(body), xml


def empty_inbox(services) -> None:
    """Start an example with no stored event, so nothing an earlier example stored can satisfy its checks."""
    with services.sessions() as session:
        session.execute(delete(InboxEvent))
        session.commit()


def inbox_count(services) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(InboxEvent))


def post(client, args: dict, body: bytes):
    return client.post("/wecom/callback", query_string=args, data=body, content_type="text/xml")


def assert_refused_cleanly(response, services, before: int) -> None:
    """A 4xx with a short plain reason, and the inbox unchanged."""
    reason = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500, (response.status_code, reason)
    assert 0 < len(reason) < 80
    assert "Traceback" not in reason
    assert inbox_count(services) == before


@FUZZ
@given(body=st.binary(max_size=4096), args=query_args)
@example(body=b"<xml>" + b"<a>" * 3000 + b"</a>" * 3000 + b"</xml>",
         args={"msg_signature": "x", "timestamp": "1", "nonce": "n"})
def test_arbitrary_bytes_are_refused_without_trace(client, services, body, args):
    before = inbox_count(services)
    assert_refused_cleanly(post(client, args, body), services, before)


@FUZZ
@given(data=st.data())
def test_mutated_envelope_is_refused_or_yields_the_sealed_event(client, services, vectors, data):
    args, body, xml = data.draw(mutated_envelope(vectors))
    empty_inbox(services)
    response = post(client, args, body)
    event(f"status {response.status_code}")
    if response.status_code == 200:
        assert response.get_data(as_text=True) == "success"
        with services.sessions() as session:
            payloads = list(session.scalars(select(InboxEvent.payload)))
        assert payloads == [xml], "an accepted callback must store exactly the sealed event, once"
    else:
        assert_refused_cleanly(response, services, 0)


@FUZZ
@given(inner=st.one_of(event_xml(), st.binary(max_size=512)))
def test_signed_arbitrary_plaintext_is_stored_whole_or_refused(client, services, inner):
    args, body = sealed(inner)
    empty_inbox(services)
    response = post(client, args, body)
    event(f"status {response.status_code}")
    if response.status_code != 200:
        assert_refused_cleanly(response, services, 0)
        return
    with services.sessions() as session:
        [payload] = session.scalars(select(InboxEvent.payload))
    plain = inner if isinstance(inner, bytes) else inner.encode("utf-8")
    assert payload.encode("utf-8") == plain, "the stored event is the signed plaintext, whole"
    assert isinstance(parse_event(parse_flat_xml(payload.encode("utf-8"))), Event)


@FUZZ
@given(body=st.one_of(st.binary(max_size=2048), event_xml()), args=query_args)
def test_open_envelope_raises_only_callback_rejected(body, args):
    try:
        envelope = open_envelope(args, body, CRYPTO)
    except CallbackRejected as exc:
        rejected = exc
    else:
        assert isinstance(envelope, Envelope)
        assert len(envelope.dedupe_key) == 64
        return
    assert 400 <= rejected.status < 500
    assert rejected.reason


@FUZZ
@given(inner=st.one_of(event_xml(), st.binary(max_size=512)))
def test_open_envelope_of_signed_plaintext_parses_into_an_event(inner):
    args, body = sealed(inner)
    try:
        envelope = open_envelope(args, body, CRYPTO)
    except CallbackRejected as exc:
        rejected = exc
    else:
        event = parse_event(envelope.fields)
        assert isinstance(event, Event)
        assert isinstance(event.kind, str)
        assert isinstance(event.create_time, int)
        return
    assert 400 <= rejected.status < 500
    assert rejected.reason


@FUZZ
@given(raw=st.one_of(st.binary(max_size=2048), event_xml()))
@example(raw=b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "b">]><xml><A>&a;</A></xml>')
def test_parse_flat_xml_returns_flat_text_fields_or_rejects(raw):
    try:
        fields = parse_flat_xml(raw)
    except CallbackRejected as exc:
        rejected = exc
    else:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())
        return
    assert rejected.status == 400
    assert rejected.reason


@FUZZ
@given(fields=st.dictionaries(xml_names, xml_values, max_size=15))
def test_parse_event_accepts_any_fields(fields):
    event = parse_event(fields)
    assert isinstance(event, Event)
    assert event.raw == fields
    assert isinstance(event.create_time, int)


@FUZZ
@given(encrypt=st.one_of(st.text(max_size=200), st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode()),
                         st.binary(min_size=16, max_size=320)
                         .map(lambda b: base64.b64encode(b[: len(b) // 16 * 16]).decode())))
def test_decrypt_raises_only_crypto_error(encrypt):
    try:
        plain = CRYPTO.decrypt(encrypt)
    except CryptoError as exc:
        error = exc
    else:
        assert isinstance(plain, bytes)
        return
    assert str(error)


@FUZZ
@given(message=st.binary(max_size=2048), random16=st.binary(min_size=16, max_size=16))
def test_decrypt_inverts_encrypt(message, random16):
    assert CRYPTO.decrypt(CRYPTO.encrypt(message, random16)) == message


@FUZZ
@given(args=query_args)
def test_verify_url_raises_only_callback_rejected(args):
    try:
        echo = verify_url(args, CRYPTO)
    except CallbackRejected as exc:
        rejected = exc
    else:
        assert isinstance(echo, str)
        return
    assert 400 <= rejected.status < 500


@FUZZ
@given(args=query_args)
def test_url_verification_endpoint_answers_4xx_for_garbage(client, args):
    response = client.get("/wecom/callback", query_string=args)
    assert 400 <= response.status_code < 500
