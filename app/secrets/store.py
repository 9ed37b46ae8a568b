"""The secrets table: set, read, list and rotate Fernet-encrypted values (plaintext never stored or shown)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.secrets.keys import SecretKeys
from app.secrets.names import field_for
from app.store.models import StoredSecret, utcnow
from app.store.models.base import as_utc


class SecretDecryptError(RuntimeError):
    """A stored secret cannot be decrypted with the configured keys (the message names the secret, not its value)."""


@dataclass(frozen=True)
class SecretInfo:
    """What `scrm secrets list` shows: never the value."""

    name: str
    key_id: str
    updated_at: datetime
    key_state: str  # newest, older, missing


def set_secret(session: Session, keys: SecretKeys, name: str, value: str) -> None:
    """Encrypt `value` under the newest key and store it as `name` (replacing any earlier value)."""
    name = name.upper()
    field_for(name)
    if not value:
        raise ValueError(f"secret {name} is empty")
    row = session.get(StoredSecret, name)
    token = keys.fernet.encrypt(value.encode()).decode()
    if row is None:
        session.add(StoredSecret(name=name, ciphertext=token, key_id=keys.newest, updated_at=utcnow()))
    else:
        row.ciphertext, row.key_id, row.updated_at = token, keys.newest, utcnow()


def delete_secret(session: Session, name: str) -> bool:
    """Remove a stored secret; tell whether there was one."""
    row = session.get(StoredSecret, name.upper())
    if row is not None:
        session.delete(row)
    return row is not None


def decrypt(keys: SecretKeys, row: StoredSecret) -> str:
    """The plaintext of a stored row, or a SecretDecryptError that names the secret and its key id."""
    try:
        return keys.fernet.decrypt(row.ciphertext.encode()).decode()
    except InvalidToken:
        raise SecretDecryptError(
            f"secret {row.name} cannot be decrypted with SCRM_SECRET_KEYS (it was stored under key id {row.key_id}; "
            f"configured key ids: {', '.join(keys.ids)}): add that key back, or set the secret again") from None


def read_secrets(session: Session, keys: SecretKeys, names: list[str]) -> dict[str, str]:
    """Decrypt the stored secrets among `names`."""
    rows = session.execute(select(StoredSecret).where(StoredSecret.name.in_(names))).scalars()
    return {row.name: decrypt(keys, row) for row in rows}


def list_secrets(session: Session, keys: SecretKeys) -> list[SecretInfo]:
    """Names, key ids and whether each key is the newest, an older configured one, or missing."""
    rows = session.execute(select(StoredSecret).order_by(StoredSecret.name)).scalars()
    return [SecretInfo(row.name, row.key_id, as_utc(row.updated_at),
                       "newest" if row.key_id == keys.newest else "older" if row.key_id in keys.ids else "missing")
            for row in rows]


def rotate(session: Session, keys: SecretKeys) -> int:
    """Re-encrypt every row under the newest key (MultiFernet.rotate); return how many rows changed key."""
    changed = 0
    for row in session.execute(select(StoredSecret).with_for_update()).scalars():
        try:
            row.ciphertext = keys.fernet.rotate(row.ciphertext.encode()).decode()
        except InvalidToken:
            decrypt(keys, row)  # raises the error that names the secret
        if row.key_id != keys.newest:
            changed += 1
        row.key_id, row.updated_at = keys.newest, utcnow()
    return changed
