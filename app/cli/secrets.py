"""`scrm secrets`: store, list and rotate encrypted secrets; values go in on stdin and never come out."""
from __future__ import annotations

import sys

import click

from app.settings import Settings


def _open():
    """The configured keys and a session factory on the database (clear errors for a bad key setup)."""
    from sqlalchemy.orm import sessionmaker

    from app.secrets.keys import SecretKeyError, SecretKeys
    from app.store.db import make_engine

    settings = Settings()
    try:
        keys = SecretKeys.parse(settings.scrm_secret_keys)
    except SecretKeyError as exc:
        raise click.ClickException(str(exc)) from None
    engine = make_engine(settings.database_url)
    return keys, sessionmaker(engine, expire_on_commit=False), engine


@click.group()
def secrets() -> None:
    """Secrets encrypted at rest with SCRM_SECRET_KEYS (Fernet, newest key first)."""


@secrets.command("keygen")
def keygen() -> None:
    """Print a new Fernet key (put it first in SCRM_SECRET_KEYS)."""
    from app.secrets.keys import key_id, new_key

    key = new_key()
    click.echo(key)
    click.echo(f"key id {key_id(key)}", err=True)


@secrets.command("set")
@click.argument("name")
def set_command(name: str) -> None:
    """Store secret NAME (e.g. WECOM_SECRET) read from stdin, encrypted under the newest key."""
    from app.secrets.names import UnknownSecretName, field_for
    from app.secrets.store import set_secret
    from app.wecom.archive.keys import ArchiveKeys
    from app.wecom.archive.reader import ArchiveError

    try:
        field_for(name)
    except UnknownSecretName as exc:
        raise click.ClickException(str(exc)) from None
    value = sys.stdin.read()
    value = value[:-2] if value.endswith("\r\n") else value[:-1] if value.endswith("\n") else value
    if not value.strip():
        raise click.ClickException(f"no value for {name.upper()} on stdin")
    if name.upper() == "ARCHIVE_PRIVATE_KEYS":
        if not value.lstrip().startswith("{"):
            raise click.ClickException("ARCHIVE_PRIVATE_KEYS must be JSON {version: PEM} to be stored")
        try:
            ArchiveKeys.from_setting(value)
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from None
    keys, sessions, engine = _open()
    try:
        with sessions.begin() as session:
            set_secret(session, keys, name, value)
    finally:
        engine.dispose()
    click.echo(f"{name.upper()} stored under key {keys.newest}")


@secrets.command("list")
def list_command() -> None:
    """Show each stored secret's name, key id and whether it decrypts; never the value. Exit 1 if any does not."""
    from app.secrets.store import SecretDecryptError, decrypt, list_secrets
    from app.store.models import StoredSecret

    keys, sessions, engine = _open()
    broken = 0
    try:
        with sessions() as session:
            for info in list_secrets(session, keys):
                try:
                    decrypt(keys, session.get(StoredSecret, info.name))
                    state = "ok"
                except SecretDecryptError:
                    state, broken = "CANNOT DECRYPT", broken + 1
                click.echo(f"{info.name}\tkey {info.key_id} ({info.key_state})\t{state}\t"
                           f"{info.updated_at:%Y-%m-%d %H:%M:%S}Z")
    finally:
        engine.dispose()
    if broken:
        raise click.ClickException(f"{broken} secret(s) cannot be decrypted with SCRM_SECRET_KEYS")


@secrets.command("rotate")
def rotate_command() -> None:
    """Re-encrypt every stored secret under the newest key (then older keys can be removed)."""
    from app.secrets.store import SecretDecryptError, rotate

    keys, sessions, engine = _open()
    try:
        with sessions.begin() as session:
            changed = rotate(session, keys)
    except SecretDecryptError as exc:
        raise click.ClickException(f"nothing rotated: {exc}") from None
    finally:
        engine.dispose()
    click.echo(f"rotated: {changed} secret(s) moved to key {keys.newest}")


@secrets.command("delete")
@click.argument("name")
def delete_command(name: str) -> None:
    """Remove stored secret NAME."""
    from app.secrets.store import delete_secret

    keys, sessions, engine = _open()
    try:
        with sessions.begin() as session:
            found = delete_secret(session, name)
    finally:
        engine.dispose()
    if not found:
        raise click.ClickException(f"no stored secret {name.upper()}")
    click.echo(f"{name.upper()} deleted")
