"""Open a WeCom callback envelope: size, XML hardening, signature, decryption, parsing."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Mapping
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from app.wecom.crypto import CallbackCrypto, CryptoError, signature

MAX_FIELD_CHARS = 64 * 1024
MAX_DEPTH = 16  # WeCom nests two or three levels; deeper input is hostile


class CallbackRejected(Exception):
    """A callback we refuse: HTTP status and a short reason, never the body."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Envelope:
    """A verified, decrypted callback: its XML text and flat fields."""

    xml: str
    fields: dict[str, str]

    @property
    def dedupe_key(self) -> str:
        """Hash the event's content: a WeCom retry (same plaintext) maps to the same key."""
        canonical = "\x1f".join(f"{k}\x1e{v}" for k, v in sorted(self.fields.items()))
        return hashlib.sha256(canonical.encode()).hexdigest()


def parse_flat_xml(raw: bytes) -> dict[str, str]:
    """Parse `<xml>` with hostile-input defences into a dict of its children (nested ones flattened)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CallbackRejected(400, "body is not UTF-8") from exc
    try:
        root = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise CallbackRejected(400, "forbidden XML construct") from exc
    except ParseError as exc:
        raise CallbackRejected(400, "malformed XML") from exc
    if root.tag != "xml":
        raise CallbackRejected(400, "root element is not <xml>")
    fields: dict[str, str] = {}
    for child in root:
        _flatten(child, child.tag, fields, 1)
    return fields


def _flatten(node, name: str, out: dict[str, str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise CallbackRejected(400, "XML nested too deeply")
    children = list(node)
    if not children:
        value = (node.text or "").strip()
        if len(value) > MAX_FIELD_CHARS:
            raise CallbackRejected(400, "field too long")
        out[name] = value
        return
    for child in children:
        _flatten(child, f"{name}.{child.tag}", out, depth + 1)


def verify_url(args: Mapping[str, str], crypto: CallbackCrypto) -> str:
    """Answer WeCom's URL verification: check the signature, return the decrypted echostr."""
    signature, timestamp, nonce, echostr = _require(args, "msg_signature", "timestamp", "nonce", "echostr")
    if not crypto.verify(signature, timestamp, nonce, echostr):
        raise CallbackRejected(403, "bad signature")
    try:
        return _decrypt(crypto, echostr).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CallbackRejected(400, "echostr is not UTF-8") from exc


def open_envelope(args: Mapping[str, str], body: bytes, crypto: CallbackCrypto) -> Envelope:
    """Verify and decrypt a POSTed callback into an Envelope, or raise CallbackRejected."""
    signature, timestamp, nonce = _require(args, "msg_signature", "timestamp", "nonce")
    if not body:
        raise CallbackRejected(400, "empty body")
    outer = parse_flat_xml(body)
    encrypt = outer.get("Encrypt")
    if not encrypt:
        raise CallbackRejected(400, "no Encrypt element")
    if not crypto.verify(signature, timestamp, nonce, encrypt):
        raise CallbackRejected(403, "bad signature")
    plain = _decrypt(crypto, encrypt)
    fields = parse_flat_xml(plain)
    if fields.get("ToUserName", crypto.receive_id) != crypto.receive_id:
        raise CallbackRejected(403, "event is for another corp")
    return Envelope(xml=plain.decode("utf-8"), fields=fields)


def seal_envelope(crypto: CallbackCrypto, xml: str, timestamp: str, nonce: str,
                  agent_id: str = "") -> tuple[dict[str, str], bytes]:
    """Encrypt and sign an event as WeCom would POST it: (query args, body)."""
    encrypt = crypto.encrypt(xml.encode("utf-8"))
    body = (
        f"<xml><ToUserName><![CDATA[{crypto.receive_id}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[{agent_id}]]></AgentID></xml>"
    )
    args = {"msg_signature": signature(crypto.token, timestamp, nonce, encrypt), "timestamp": timestamp, "nonce": nonce}
    return args, body.encode("utf-8")


def _decrypt(crypto: CallbackCrypto, encrypt: str) -> bytes:
    try:
        return crypto.decrypt(encrypt)
    except CryptoError as exc:
        status = 403 if str(exc) == "wrong receive id" else 400
        raise CallbackRejected(status, f"cannot decrypt: {exc}") from exc


def _require(args: Mapping[str, str], *names: str) -> list[str]:
    values = [args.get(name, "") for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise CallbackRejected(400, f"missing query parameter: {', '.join(missing)}")
    if any(len(value) > 4096 for value in values):
        raise CallbackRejected(400, "query parameter too long")
    return values
