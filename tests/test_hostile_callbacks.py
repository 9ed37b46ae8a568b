"""Hostile and broken callbacks: each gets a 4xx with a short reason and leaves no trace."""
from __future__ import annotations

import base64

import pytest
from rq import Queue
from sqlalchemy import func, select

from app.store.models import InboxEvent
from app.wecom.crypto import CallbackCrypto, signature
from app.wecom.envelope import seal_envelope
from jobs.queues import QUEUE_NAMES
from tests.callbacks import sample_xml

TS, NONCE = "1700000000", "hostile"


def signed(crypto: CallbackCrypto, encrypt: str, outer: str | None = None) -> tuple[dict, bytes]:
    """Sign an arbitrary Encrypt value and wrap it (or a given outer body)."""
    body = outer if outer is not None else (f"<xml><ToUserName>{crypto.receive_id}</ToUserName>"
                                            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
    return ({"msg_signature": signature(crypto.token, TS, NONCE, encrypt), "timestamp": TS, "nonce": NONCE},
            body.encode("utf-8") if isinstance(body, str) else body)


def valid(crypto, vectors):
    return seal_envelope(crypto, sample_xml(vectors, "add_external_contact"), TS, NONCE)


def case_bad_signature(crypto, vectors):
    args, body = valid(crypto, vectors)
    return {**args, "msg_signature": "0" * 40}, body


def case_missing_signature(crypto, vectors):
    args, body = valid(crypto, vectors)
    return {k: v for k, v in args.items() if k != "msg_signature"}, body


def case_truncated_base64(crypto, vectors):
    args, body = valid(crypto, vectors)
    encrypt = crypto.encrypt(sample_xml(vectors, "add_external_contact").encode())[:-7]
    return signed(crypto, encrypt)


def case_not_base64(crypto, vectors):
    return signed(crypto, "!!!not*base64###")


def case_bad_padding(crypto, vectors):
    raw = bytearray(base64.b64decode(crypto.encrypt(b"<xml><A>1</A></xml>")))
    raw[-1] ^= 0xFF
    return signed(crypto, base64.b64encode(bytes(raw)).decode())


def case_wrong_corp_id(crypto, vectors):
    other = CallbackCrypto(crypto.token, crypto.aes_key, "ww_another_corp")
    return signed(crypto, other.encrypt(sample_xml(vectors, "add_external_contact").encode()))


def case_inner_to_other_corp(crypto, vectors):
    xml = sample_xml(vectors, "add_external_contact", corp_id="ww_another_corp")
    return seal_envelope(crypto, xml, TS, NONCE)


def case_malformed_outer_xml(crypto, vectors):
    encrypt = crypto.encrypt(b"<xml></xml>")
    return signed(crypto, encrypt, outer=f"<xml><Encrypt>{encrypt}</Encrypt>")


def case_malformed_inner_xml(crypto, vectors):
    return signed(crypto, crypto.encrypt(b"<xml><MsgType>event</xml"))


def case_xxe_outer(crypto, vectors):
    encrypt = crypto.encrypt(b"<xml></xml>")
    outer = f'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Encrypt>{encrypt}</Encrypt><X>&xxe;</X></xml>'
    return signed(crypto, encrypt, outer=outer)


def case_xxe_inner(crypto, vectors):
    inner = b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>'
    return signed(crypto, crypto.encrypt(inner))


def case_billion_laughs(crypto, vectors):
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    inner = f'<?xml version="1.0"?><!DOCTYPE xml [{entities}]><xml><Content>&lol9;</Content></xml>'.encode()
    return signed(crypto, crypto.encrypt(inner))


def case_two_mib_body(crypto, vectors):
    args, body = valid(crypto, vectors)
    return args, body + b" " * (2 * 1024 * 1024)


def case_invalid_utf8_outer(crypto, vectors):
    args, body = valid(crypto, vectors)
    return args, body.replace(b"<xml>", b"<xml>\xff\xfe", 1)


def case_invalid_utf8_inner(crypto, vectors):
    return signed(crypto, crypto.encrypt(b"<xml><Content>\xc3\x28</Content></xml>"))


def case_empty_body(crypto, vectors):
    args, _ = valid(crypto, vectors)
    return args, b""


def case_no_encrypt_element(crypto, vectors):
    return signed(crypto, "", outer="<xml><ToUserName>x</ToUserName></xml>")


def case_wrong_root(crypto, vectors):
    encrypt = crypto.encrypt(b"<xml></xml>")
    return signed(crypto, encrypt, outer=f"<root><Encrypt>{encrypt}</Encrypt></root>")


CASES = {name[5:]: fn for name, fn in dict(globals()).items() if name.startswith("case_")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_callback_is_refused_without_trace(client, services, vectors, redis, name):
    args, body = CASES[name](services.crypto, vectors)
    response = client.post("/wecom/callback", query_string=args, data=body, content_type="text/xml")
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    reason = response.get_data(as_text=True)
    assert 0 < len(reason) < 80
    assert "Traceback" not in reason
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(InboxEvent)) == 0
    assert all(Queue(name, connection=redis).count == 0 for name in QUEUE_NAMES)


@pytest.mark.parametrize("query", [
    {},
    {"msg_signature": "x", "timestamp": "1", "nonce": "n"},
    {"msg_signature": "x", "timestamp": "1", "nonce": "n", "echostr": "!!!"},
])
def test_bad_url_verification_is_refused(client, query):
    response = client.get("/wecom/callback", query_string=query)
    assert 400 <= response.status_code < 500


def test_url_verification_with_undecryptable_echostr(client, services):
    echostr = base64.b64encode(b"0" * 32).decode()
    args = {"msg_signature": signature(services.crypto.token, TS, NONCE, echostr), "timestamp": TS, "nonce": NONCE,
            "echostr": echostr}
    response = client.get("/wecom/callback", query_string=args)
    assert response.status_code == 400
