"""Fill secret settings that the environment left unset from the encrypted store."""
from __future__ import annotations

import logging

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from app.secrets.keys import SecretKeys
from app.secrets.names import SECRET_FIELDS, secret_values
from app.secrets.redact import protect_logs
from app.secrets.store import read_secrets
from app.settings import Settings

log = logging.getLogger(__name__)


def resolve_secrets(settings: Settings, engine: Engine) -> Settings:
    """Settings with every unset secret taken from the database (only when SCRM_SECRET_KEYS is set).

    A value set in the environment, `.env` or by the caller always wins.
    """
    if not settings.scrm_secret_keys:
        return settings
    keys = SecretKeys.parse(settings.scrm_secret_keys)
    wanted = [name for name, field in SECRET_FIELDS.items() if field not in settings.model_fields_set]
    if not wanted:
        return settings
    if not inspect(engine).has_table("secrets"):
        log.warning("SCRM_SECRET_KEYS is set but the secrets table does not exist yet: run `scrm db upgrade`")
        return settings
    with Session(engine) as session:
        found = read_secrets(session, keys, wanted)
    if found:
        log.info("secrets taken from the database: %s", ", ".join(sorted(found)))
    return settings.model_copy(update={SECRET_FIELDS[name]: value for name, value in found.items()})


def secure_settings(settings: Settings, engine: Engine) -> Settings:
    """Resolve stored secrets, then mask every secret value in this process's logs."""
    settings = resolve_secrets(settings, engine)
    protect_logs(secret_values(settings))
    return settings
