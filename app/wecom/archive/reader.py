"""The archive reader interface and the shapes it returns: raw chat data and decrypted messages."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol


class ArchiveError(Exception):
    """The archive could not be read or a message could not be decrypted."""


class UnknownKeyVersion(ArchiveError):
    """A message is sealed with a public-key version we hold no private key for."""


@dataclass(frozen=True)
class RawChat:
    """One GetChatData entry, still encrypted."""

    seq: int
    msgid: str
    publickey_ver: int
    encrypt_random_key: str = field(repr=False)
    encrypt_chat_msg: str = field(repr=False)

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> "RawChat":
        """Build from one element of GetChatData's `chatdata` list."""
        return cls(int(item["seq"]), str(item["msgid"]), int(item["publickey_ver"]),
                   str(item["encrypt_random_key"]), str(item["encrypt_chat_msg"]))


@dataclass(frozen=True)
class ChatMessage:
    """One decrypted archived message."""

    msgid: str
    seq: int
    sender: str
    tolist: tuple[str, ...]
    msgtime: datetime
    msgtype: str
    text: str | None
    action: str = "send"
    roomid: str = ""

    @classmethod
    def from_plain(cls, seq: int, plain: bytes | str) -> "ChatMessage":
        """Parse DecryptData's JSON (msgtime in milliseconds) into a message."""
        try:
            data = json.loads(plain)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ArchiveError(f"decrypted message at seq {seq} is not JSON") from exc
        text = (data.get("text") or {}).get("content") if data.get("msgtype") == "text" else None
        msgtime = datetime.fromtimestamp(int(data.get("msgtime", 0)) / 1000, timezone.utc)
        return cls(str(data.get("msgid", "")), seq, str(data.get("from", "")), tuple(data.get("tolist") or ()),
                   msgtime, str(data.get("msgtype", "")), text, str(data.get("action", "send")),
                   str(data.get("roomid") or ""))


class ArchiveReader(Protocol):
    """Where archived chats come from: the sandbox over HTTP or WeCom's native Finance SDK."""

    def fetch(self, seq: int, limit: int) -> list[RawChat]:
        """Return the chats after `seq`, at most `limit` (≤ 1000), oldest first."""

    def decrypt(self, raw: RawChat) -> ChatMessage:
        """Decrypt one chat with the private key of its public-key version."""
