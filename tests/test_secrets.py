"""Secrets at rest: Fernet round trip on SQLite and PostgreSQL, rotation, wrong keys, settings resolution, CLI."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import text

from app.cli.root import main
from app.secrets.keys import SecretKeyError, SecretKeys, key_id
from app.secrets.store import SecretDecryptError, list_secrets, read_secrets, rotate, set_secret
from app.store.db import make_engine, make_sessions
from app.wiring import build_services
from tests.settings import make_settings

PLAIN = "corp-secret-7Hq2xLw9VpZ3"
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url)
    yield make_sessions(engine)
    engine.dispose()


def store(sessions, keys: str, **values: str) -> None:
    with sessions.begin() as session:
        for name, value in values.items():
            set_secret(session, SecretKeys.parse(keys), name, value)


def read(sessions, keys: str, *names: str) -> dict[str, str]:
    with sessions() as session:
        return read_secrets(session, SecretKeys.parse(keys), list(names))


def test_round_trip_and_no_plaintext_at_rest(sessions):
    store(sessions, OLD, WECOM_SECRET=PLAIN, archive_secret="archive-secret-Qm4n")
    assert read(sessions, OLD, "WECOM_SECRET", "ARCHIVE_SECRET") == {"WECOM_SECRET": PLAIN,
                                                                    "ARCHIVE_SECRET": "archive-secret-Qm4n"}
    with sessions() as session:
        rows = session.execute(text("SELECT name, ciphertext, key_id FROM secrets ORDER BY name")).all()
    assert [(name, kid) for name, _, kid in rows] == [("ARCHIVE_SECRET", key_id(OLD)), ("WECOM_SECRET", key_id(OLD))]
    assert all(PLAIN not in cipher and "archive-secret" not in cipher for _, cipher, _ in rows)
    store(sessions, OLD, WECOM_SECRET="replaced-value-1")
    assert read(sessions, OLD, "WECOM_SECRET") == {"WECOM_SECRET": "replaced-value-1"}


def test_rotation_moves_every_row_to_the_newest_key(sessions):
    store(sessions, OLD, WECOM_SECRET=PLAIN, SALES_ROBOT_KEY="robot-key-8812")
    both = f"{NEW},{OLD}"
    assert read(sessions, both, "WECOM_SECRET")["WECOM_SECRET"] == PLAIN, "old rows decrypt before rotating"
    with pytest.raises(SecretDecryptError):
        read(sessions, NEW, "WECOM_SECRET")
    with sessions.begin() as session:
        assert rotate(session, SecretKeys.parse(both)) == 2
    with sessions() as session:
        assert {(i.name, i.key_id, i.key_state) for i in list_secrets(session, SecretKeys.parse(NEW))} == {
            ("WECOM_SECRET", key_id(NEW), "newest"), ("SALES_ROBOT_KEY", key_id(NEW), "newest")}
    assert read(sessions, NEW, "WECOM_SECRET", "SALES_ROBOT_KEY") == {"WECOM_SECRET": PLAIN,
                                                                     "SALES_ROBOT_KEY": "robot-key-8812"}
    with sessions.begin() as session:
        assert rotate(session, SecretKeys.parse(both)) == 0, "a second rotation changes no key"


def test_wrong_key_names_the_secret_never_the_value(sessions):
    store(sessions, OLD, WECOM_SECRET=PLAIN)
    with pytest.raises(SecretDecryptError) as caught:
        read(sessions, NEW, "WECOM_SECRET")
    message = str(caught.value)
    assert "WECOM_SECRET" in message
    assert key_id(OLD) in message
    assert key_id(NEW) in message
    assert PLAIN not in message
    assert OLD not in message
    assert NEW not in message


def test_bad_key_setting_is_named_by_position_not_text():
    with pytest.raises(SecretKeyError) as caught:
        SecretKeys.parse(f"{NEW},not-a-fernet-key-at-all")
    assert "entry 2" in str(caught.value)
    assert "not-a-fernet" not in str(caught.value)
    with pytest.raises(SecretKeyError, match="not set"):
        SecretKeys.parse(" , ")


def test_settings_take_unset_secrets_from_the_database(database_url, sessions):
    store(sessions, OLD, WECOM_SECRET=PLAIN, METRICS_TOKEN="scrape-token-991")
    services = build_services(make_settings(database_url, None, scrm_secret_keys=OLD))
    try:
        assert services.settings.wecom_secret == PLAIN
        assert services.settings.metrics_token == "scrape-token-991"
    finally:
        services.close()
    services = build_services(make_settings(database_url, None, scrm_secret_keys=OLD, wecom_secret="from-env-value"))
    try:
        assert services.settings.wecom_secret == "from-env-value", "a value from the environment wins"
    finally:
        services.close()
    services = build_services(make_settings(database_url, None))
    try:
        assert services.settings.wecom_secret != PLAIN, "without SCRM_SECRET_KEYS the store is not read"
    finally:
        services.close()


def test_settings_with_the_wrong_key_fail_naming_the_secret(database_url, sessions):
    store(sessions, OLD, WECOM_SECRET=PLAIN)
    with pytest.raises(SecretDecryptError, match="WECOM_SECRET"):
        build_services(make_settings(database_url, None, scrm_secret_keys=NEW))


def test_cli_set_list_rotate_never_print_values(database_url, sessions):
    runner = CliRunner()
    env = {"DATABASE_URL": database_url, "SCRM_SECRET_KEYS": OLD}
    result = runner.invoke(main, ["secrets", "set", "wecom_secret"], input=PLAIN + "\n", env=env)
    assert result.exit_code == 0, result.output
    assert read(sessions, OLD, "WECOM_SECRET") == {"WECOM_SECRET": PLAIN}, "the trailing newline is not stored"
    listed = runner.invoke(main, ["secrets", "list"], env=env)
    assert listed.exit_code == 0
    assert f"WECOM_SECRET\tkey {key_id(OLD)} (newest)\tok" in listed.output
    env["SCRM_SECRET_KEYS"] = f"{NEW},{OLD}"
    assert "(older)" in runner.invoke(main, ["secrets", "list"], env=env).output
    rotated = runner.invoke(main, ["secrets", "rotate"], env=env)
    assert rotated.exit_code == 0
    assert f"1 secret(s) moved to key {key_id(NEW)}" in rotated.output
    only_old = runner.invoke(main, ["secrets", "list"], env={**env, "SCRM_SECRET_KEYS": OLD})
    assert only_old.exit_code == 1
    assert "CANNOT DECRYPT" in only_old.output
    for output in (result.output, listed.output, rotated.output, only_old.output):
        assert PLAIN not in output
        assert OLD not in output
        assert NEW not in output


def test_cli_refuses_bad_input_clearly(database_url):
    runner = CliRunner()
    env = {"DATABASE_URL": database_url, "SCRM_SECRET_KEYS": OLD}
    unknown = runner.invoke(main, ["secrets", "set", "WECOM_SECERT"], input="x\n", env=env)
    assert unknown.exit_code == 1
    assert "unknown secret name" in unknown.output
    assert "WECOM_SECRET" in unknown.output
    empty = runner.invoke(main, ["secrets", "set", "WECOM_SECRET"], input="\n", env=env)
    assert empty.exit_code == 1
    assert "no value" in empty.output
    pem = runner.invoke(main, ["secrets", "set", "ARCHIVE_PRIVATE_KEYS"], input='{"1": "not a pem"}', env=env)
    assert pem.exit_code == 1
    assert "version 1 is not a readable PEM RSA key" in pem.output
    nokeys = runner.invoke(main, ["secrets", "list"], env={"DATABASE_URL": database_url, "SCRM_SECRET_KEYS": ""})
    assert nokeys.exit_code == 1
    assert "SCRM_SECRET_KEYS is not set" in nokeys.output
    key = runner.invoke(main, ["secrets", "keygen"])
    fresh = Fernet(key.output.splitlines()[0].encode())
    assert key.exit_code == 0
    assert fresh.decrypt(fresh.encrypt(b"x")) == b"x"

