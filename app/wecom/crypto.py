"""WeCom callback cryptography: signature and AES-256-CBC framing, strict on every byte."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


class CryptoError(ValueError):
    """A payload that is not a valid WeCom ciphertext for this corp."""


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """Return WeCom's msg_signature: sha1 over the four strings sorted."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


@dataclass(frozen=True)
class CallbackCrypto:
    """The corp's callback token, EncodingAESKey and receive id."""

    token: str
    aes_key: str
    receive_id: str

    @property
    def key(self) -> bytes:
        """Return the 32-byte AES key decoded from the 43-character EncodingAESKey."""
        key = base64.b64decode(self.aes_key + "=")
        if len(key) != 32:
            raise ValueError("WECOM_AES_KEY must be 43 characters of base64 (32 bytes)")
        return key

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> bool:
        """Check the signature in constant time."""
        expected = signature(self.token, timestamp, nonce, encrypt)
        return hmac.compare_digest(expected.encode(), msg_signature.encode())

    def decrypt(self, encrypt: str) -> bytes:
        """Decrypt a base64 ciphertext; reject bad base64, padding, length or receive id."""
        try:
            data = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CryptoError("bad base64") from exc
        if not data or len(data) % 16:
            raise CryptoError("bad ciphertext length")
        key = self.key
        decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or pad > len(plain) or plain[-pad:] != bytes([pad]) * pad:
            raise CryptoError("bad padding")
        body = plain[16:-pad]
        if len(body) < 4:
            raise CryptoError("truncated payload")
        (length,) = struct.unpack(">I", body[:4])
        if length > len(body) - 4:
            raise CryptoError("bad message length")
        receive_id = body[4 + length :]
        if not hmac.compare_digest(receive_id, self.receive_id.encode()):
            raise CryptoError("wrong receive id")
        return body[4 : 4 + length]

    def encrypt(self, message: bytes, random16: bytes | None = None) -> str:
        """Encrypt like WeCom does (used by the sandbox and tests)."""
        body = (random16 or os.urandom(16)) + struct.pack(">I", len(message)) + message + self.receive_id.encode()
        pad = BLOCK - len(body) % BLOCK
        key = self.key
        encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
        return base64.b64encode(encryptor.update(body + bytes([pad]) * pad) + encryptor.finalize()).decode()
