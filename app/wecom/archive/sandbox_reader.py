"""Read the sandbox's archive over HTTP and decrypt it (RSA for the random key, AES-256-GCM for the message)."""
from __future__ import annotations

import base64

import requests
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.wecom.archive.keys import ArchiveKeys
from app.wecom.archive.reader import ArchiveError, ChatMessage, RawChat

MAX_LIMIT = 1000


def sandbox_root(api_base: str) -> str:
    """Return the sandbox's root URL from its WeCom API base (…/cgi-bin/)."""
    root = api_base.rstrip("/")
    return root[: -len("/cgi-bin")] if root.endswith("/cgi-bin") else root


def sandbox_private_keys(root_url: str, timeout: float = 10.0) -> ArchiveKeys:
    """Load the private keys the sandbox exposes (sandbox only: lets the demo run without ARCHIVE_PRIVATE_KEYS)."""
    try:
        resp = requests.get(root_url.rstrip("/") + "/sandbox/finance/private_keys", timeout=timeout)
        resp.raise_for_status()
        pems = resp.json()
    except (requests.RequestException, ValueError) as exc:
        raise ArchiveError(
            f"ARCHIVE_PRIVATE_KEYS is not set and the sandbox gave no keys: {type(exc).__name__}") from None
    return ArchiveKeys.from_pems(pems)


class SandboxArchiveReader:
    """ArchiveReader over the sandbox's POST /sandbox/finance/getchatdata."""

    def __init__(self, root_url: str, secret: str, keys: ArchiveKeys, timeout: float = 10.0,
                 session: requests.Session | None = None) -> None:
        self.url = root_url.rstrip("/") + "/sandbox/finance/getchatdata"
        self._secret = secret
        self.keys = keys
        self.timeout = timeout
        self._http = session or requests.Session()

    def __repr__(self) -> str:
        return f"SandboxArchiveReader(url={self.url!r}, keys={self.keys!r})"

    def fetch(self, seq: int, limit: int) -> list[RawChat]:
        """Return the chats after `seq`, at most `limit` (≤ 1000), oldest first."""
        if not 1 <= limit <= MAX_LIMIT:
            raise ArchiveError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
        try:
            resp = self._http.post(self.url, json={"seq": seq, "limit": limit, "secret": self._secret},
                                   timeout=self.timeout)
            resp.raise_for_status()
            answer = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise ArchiveError(f"GetChatData failed: {type(exc).__name__}") from exc
        if answer.get("errcode") != 0:
            raise ArchiveError(f"GetChatData answered errcode {answer.get('errcode')}: {answer.get('errmsg')}")
        return [RawChat.from_json(item) for item in answer.get("chatdata") or []]

    def decrypt(self, raw: RawChat) -> ChatMessage:
        """Decrypt one chat: RSA-decrypt its random key, then AES-256-GCM-decrypt the message."""
        random_key = self.keys.random_key(raw)
        try:
            sealed = base64.b64decode(raw.encrypt_chat_msg)
            plain = AESGCM(random_key).decrypt(sealed[:12], sealed[12:], None)
        except (InvalidTag, ValueError) as exc:
            raise ArchiveError(f"cannot decrypt the message at seq {raw.seq}") from exc
        return ChatMessage.from_plain(raw.seq, plain)
