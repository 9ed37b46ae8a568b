"""Secrets: encrypted at rest (Fernet, keys from SCRM_SECRET_KEYS), resolved into settings, kept out of logs."""
