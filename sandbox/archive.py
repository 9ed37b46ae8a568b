"""The archive part: the session archive (会话内容存档), with a seq per chat message, RSA keys by version, GetChatData
and msgaudit_notify."""
from __future__ import annotations

import base64
import json
import os
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sandbox.core import SandboxCore
from sandbox.errors import ApiError

MAX_LIMIT = 1000
DAY = 86400.0


@dataclass(frozen=True)
class ArchivedMessage:
    """One archived chat message: its seq, the public-key version it is sealed with, and the plaintext."""

    seq: int
    key_version: int
    message: dict[str, Any]


def _new_key() -> rsa.RSAPrivateKey:
    """Generate one 2048-bit RSA key pair."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def seal_message(public_key: rsa.RSAPublicKey, message: dict[str, Any]) -> tuple[str, str]:
    """Return (encrypt_random_key, encrypt_chat_msg): RSA PKCS#1 v1.5 over a random key, AES-256-GCM over the JSON."""
    random_key = secrets.token_urlsafe(24).encode("ascii")
    nonce = os.urandom(12)
    plain = json.dumps(message, ensure_ascii=False).encode("utf-8")
    sealed = nonce + AESGCM(random_key).encrypt(nonce, plain, None)
    encrypted_key = public_key.encrypt(random_key, padding.PKCS1v15())
    return base64.b64encode(encrypted_key).decode(), base64.b64encode(sealed).decode()


class Archive:
    """The archive the Finance SDK reads: sequence numbers, versioned key pairs, the 5-day window, notifications."""

    def __init__(self, core: SandboxCore) -> None:
        self.core = core
        self.entries: list[ArchivedMessage] = []
        self._keys: dict[int, rsa.RSAPrivateKey] = {int(v): _new_key() for v in core.config.archive_key_versions}
        self._version = max(int(v) for v in core.config.archive_key_versions)
        self._notify_lock = threading.Lock()
        self._notify_timer: threading.Timer | None = None
        self._last_notify = float("-inf")
        self._closed = False

    def private_keys(self) -> dict[int, str]:
        """Return every private key as PKCS#1 PEM by version (what the corp keeps; for tests and the demo)."""
        return {version: key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()).decode()
                for version, key in dict(self._keys).items()}

    def use_key(self, version: int) -> None:
        """Seal new messages with key `version`, generating it first (an admin uploading a new public key)."""
        with self.core.lock:
            if version not in self._keys:
                self._keys[version] = _new_key()
            self._version = version

    def record(self, message: dict[str, Any]) -> ArchivedMessage:
        """Archive one chat message under the next seq and the current key version; schedule a notify."""
        with self.core.lock:
            entry = ArchivedMessage(len(self.entries) + 1, self._version, message)
            self.entries.append(entry)
        if self.core.config.callback_url:
            self._schedule_notify()
        return entry

    def _schedule_notify(self) -> None:
        """Emit msgaudit_notify now, or once at the end of the current interval (WeCom batches notifications)."""
        with self._notify_lock:
            if self._closed or self._notify_timer is not None:
                return
            wait = self._last_notify + self.core.config.archive_notify_interval - self.core.clock.now()
            if wait <= 0:
                self._notify_now_locked()
                return
            self._notify_timer = threading.Timer(wait, self._notify_from_timer)
            self._notify_timer.daemon = True
            self._notify_timer.start()

    def _notify_from_timer(self) -> None:
        with self._notify_lock:
            self._notify_timer = None
            if not self._closed:
                self._notify_now_locked()

    def _notify_now_locked(self) -> None:
        self._last_notify = self.core.clock.now()
        self.core.emit("msgaudit_notify", {"AgentID": self.core.config.archive_agent_id, "Event": "msgaudit_notify"})

    def get_chat_data(self, seq: object, limit: object, secret: object) -> dict[str, Any]:
        """Answer GetChatData: messages after `seq` (at most `limit` ≤ 1000) still inside the retention window."""
        if secret != self.core.config.archive_secret:
            raise ApiError(40001, "invalid archive secret")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ApiError(40058, "seq must be a non-negative integer")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
            raise ApiError(40058, f"limit must be between 1 and {MAX_LIMIT}")
        oldest_ms = (self.core.clock.now() - self.core.config.archive_retention_days * DAY) * 1000
        with self.core.lock:
            entries = [e for e in self.entries[seq:] if e.message["msgtime"] >= oldest_ms][:limit]
            keys = dict(self._keys)
        chatdata = []
        for e in entries:
            random_key, chat_msg = seal_message(keys[e.key_version].public_key(), e.message)
            chatdata.append({"seq": e.seq, "msgid": e.message["msgid"], "publickey_ver": e.key_version,
                             "encrypt_random_key": random_key, "encrypt_chat_msg": chat_msg})
        return {"errcode": 0, "errmsg": "ok", "chatdata": chatdata}

    def close(self) -> None:
        """Cancel a pending notification."""
        with self._notify_lock:
            self._closed = True
            if self._notify_timer is not None:
                self._notify_timer.cancel()
                self._notify_timer = None
