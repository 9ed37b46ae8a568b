"""RSA private keys of the archive by public-key version, loaded from settings and never shown."""
from __future__ import annotations

import base64
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from app.wecom.archive.reader import ArchiveError, RawChat, UnknownKeyVersion


class ArchiveKeys:
    """Private keys by version; decrypts a chat's random key (RSA PKCS#1 v1.5)."""

    def __init__(self, keys: dict[int, rsa.RSAPrivateKey]) -> None:
        self._keys = dict(keys)

    def __repr__(self) -> str:
        return f"ArchiveKeys(versions={self.versions})"

    __str__ = __repr__

    @property
    def versions(self) -> list[int]:
        """Return the key versions held, ascending."""
        return sorted(self._keys)

    @classmethod
    def from_pems(cls, pems: dict[int | str, str | bytes]) -> "ArchiveKeys":
        """Load PEM private keys (PKCS#1 or PKCS#8) keyed by version."""
        keys: dict[int, rsa.RSAPrivateKey] = {}
        for version, pem in pems.items():
            try:
                key = serialization.load_pem_private_key(pem.encode() if isinstance(pem, str) else pem, None)
            except (ValueError, TypeError) as exc:
                raise ArchiveError(f"archive private key version {version} is not a readable PEM RSA key") from exc
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ArchiveError(f"archive private key version {version} is not an RSA key")
            keys[int(version)] = key
        return cls(keys)

    @classmethod
    def from_setting(cls, value: str | None) -> "ArchiveKeys":
        """Load ARCHIVE_PRIVATE_KEYS: JSON {version: PEM}, or a directory of `<version>.pem` files."""
        if not value:
            return cls({})
        text = value.strip()
        if text.startswith("{"):
            try:
                pems = json.loads(text)
            except ValueError:
                raise ArchiveError("ARCHIVE_PRIVATE_KEYS is not valid JSON {version: PEM}") from None
            return cls.from_pems(pems)
        folder = Path(text)
        if not folder.is_dir():
            raise ArchiveError("ARCHIVE_PRIVATE_KEYS is neither JSON {version: PEM} nor an existing directory")
        pems = {p.stem: p.read_bytes() for p in folder.glob("*.pem") if p.stem.isdigit()}
        return cls.from_pems(pems)

    def random_key(self, raw: RawChat) -> bytes:
        """Decrypt the chat's encrypt_random_key with the private key of its publickey_ver."""
        key = self._keys.get(raw.publickey_ver)
        if key is None:
            raise UnknownKeyVersion(
                f"no private key for publickey_ver {raw.publickey_ver} (seq {raw.seq}, msgid {raw.msgid}); "
                f"held versions: {self.versions}. Add it to ARCHIVE_PRIVATE_KEYS")
        try:
            return key.decrypt(base64.b64decode(raw.encrypt_random_key), padding.PKCS1v15())
        except ValueError:
            raise ArchiveError(f"cannot decrypt the random key of seq {raw.seq} with key version "
                               f"{raw.publickey_ver}: wrong private key for this version?") from None
