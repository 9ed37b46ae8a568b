"""SCRM_SECRET_KEYS: comma-separated Fernet keys, newest first, each known by a short id (never by its value)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.fernet import Fernet, MultiFernet


class SecretKeyError(ValueError):
    """SCRM_SECRET_KEYS is missing or holds something that is not a Fernet key."""


def key_id(key: str | bytes) -> str:
    """A short, non-secret id of a key: the first 8 hex digits of its SHA-256."""
    raw = key.encode() if isinstance(key, str) else key
    return hashlib.sha256(raw.strip()).hexdigest()[:8]


@dataclass(frozen=True)
class SecretKeys:
    """The configured keys: encrypt with the first, decrypt with any."""

    ids: tuple[str, ...]
    fernet: MultiFernet

    @property
    def newest(self) -> str:
        """The id of the key new values are encrypted with."""
        return self.ids[0]

    @classmethod
    def parse(cls, value: str | None) -> "SecretKeys":
        """Read SCRM_SECRET_KEYS; errors name the position of a bad key, never its text."""
        entries = [part.strip() for part in (value or "").split(",") if part.strip()]
        if not entries:
            raise SecretKeyError("SCRM_SECRET_KEYS is not set: generate a key with `scrm secrets keygen`")
        fernets = []
        for position, entry in enumerate(entries, start=1):
            try:
                fernets.append(Fernet(entry.encode()))
            except (ValueError, TypeError):
                raise SecretKeyError(f"SCRM_SECRET_KEYS entry {position} is not a Fernet key (32 url-safe "
                                     "base64-encoded bytes); generate one with `scrm secrets keygen`") from None
        return cls(tuple(key_id(entry) for entry in entries), MultiFernet(fernets))


def new_key() -> str:
    """A fresh Fernet key."""
    return Fernet.generate_key().decode()
