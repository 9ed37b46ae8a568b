"""`scrm users …`: accounts and API tokens from the command line, with clear errors for bad input."""
from __future__ import annotations

from click.testing import CliRunner

from app.cli.root import main
from app.store.db import make_engine, make_sessions
from app.web.console.users import user_for_token


def test_users_add_token_list_and_disable(database_url):
    runner = CliRunner(env={"DATABASE_URL": database_url, "REDIS_URL": None})
    added = runner.invoke(main, ["users", "add", "zhangsan", "--role", "sales", "--userid", "zhangsan",
                                 "--password", "long-enough-pass"])
    assert added.exit_code == 0
    assert "user zhangsan (sales) created" in added.output
    for args, message in ((["users", "add", "zhangsan", "--role", "admin", "--password", "long-enough-pass"],
                           "already exists"),
                          (["users", "add", "x1", "--role", "sales", "--password", "long-enough-pass"],
                           "needs --userid"),
                          (["users", "add", "x2", "--role", "admin", "--password", "short"], "at least 8"),
                          (["users", "token", "nobody"], "no user nobody")):
        failed = runner.invoke(main, args)
        assert failed.exit_code == 1, failed.output
        assert message in failed.output, failed.output
    assert runner.invoke(main, ["users", "add", "x3", "--role", "boss", "--no-password"]).exit_code == 2
    token = runner.invoke(main, ["users", "token", "zhangsan", "--days", "1"]).output.strip()
    assert token.startswith("scrm_")
    engine = make_engine(database_url)
    sessions = make_sessions(engine)
    with sessions() as session:
        assert user_for_token(session, token).username == "zhangsan"
    assert "zhangsan             sales" in runner.invoke(main, ["users", "list"]).output
    disabled = runner.invoke(main, ["users", "disable", "zhangsan"])
    assert disabled.exit_code == 0
    assert "1 token(s) revoked" in disabled.output
    with sessions() as session:
        assert user_for_token(session, token) is None
    engine.dispose()
