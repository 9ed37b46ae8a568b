"""The settings that hold secrets: their environment names and Settings fields."""
from __future__ import annotations

from app.settings import Settings

# Environment name -> Settings field. Only fields that exist in Settings are used.
CANDIDATES = {
    "WECOM_SECRET": "wecom_secret",
    "WECOM_TOKEN": "wecom_token",
    "WECOM_AES_KEY": "wecom_aes_key",
    "ARCHIVE_SECRET": "archive_secret",
    "ARCHIVE_PRIVATE_KEYS": "archive_private_keys",
    "ARCHIVE_PROXY_PASSWORD": "archive_proxy_password",
    "SALES_ROBOT_KEY": "sales_robot_key",
    "SCRM_ADMIN_TOKEN": "scrm_admin_token",
    "METRICS_TOKEN": "metrics_token",
    "SECRET_KEY": "secret_key",
}
SECRET_FIELDS = {name: field for name, field in CANDIDATES.items() if field in Settings.model_fields}


class UnknownSecretName(ValueError):
    """The name is not one of the settings that hold a secret."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown secret name {name!r}; known: {', '.join(sorted(SECRET_FIELDS))}")


def field_for(name: str) -> str:
    """The Settings field a secret name fills (raises UnknownSecretName)."""
    try:
        return SECRET_FIELDS[name.upper()]
    except KeyError:
        raise UnknownSecretName(name) from None


def secret_values(settings: Settings) -> list[str]:
    """The secret values the settings hold now (for log redaction)."""
    return [value for field in SECRET_FIELDS.values()
            if isinstance(value := getattr(settings, field, None), str) and value]
