"""`scrm users …`: console accounts and their API tokens."""
from __future__ import annotations

import sys

import click
from sqlalchemy import select

from app.settings import Settings


@click.group()
def users() -> None:
    """Console users (admin, marketer, sales) and API tokens."""


def _services():
    from app.store.db import upgrade
    from app.wiring import build_services

    services = build_services(Settings())
    if services.settings.uses_sqlite:
        upgrade(services.engine)
    return services


def _find(session, username: str):
    from app.store.models import ConsoleUser

    user = session.execute(select(ConsoleUser).where(ConsoleUser.username == username)).scalar_one_or_none()
    if user is None:
        click.echo(f"no user {username}", err=True)
        sys.exit(1)
    return user


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "marketer", "sales"]), required=True)
@click.option("--userid", "wecom_userid", default=None, help="The member's WeCom userid (required for sales).")
@click.option("--name", "display_name", default=None, help="Display name.")
@click.option("--password", default=None,
              help="Local password (prompted when omitted; --no-password for WeCom login only).")
@click.option("--no-password", is_flag=True, help="No local password: the user signs in through WeCom only.")
def add(username: str, role: str, wecom_userid: str | None, display_name: str | None, password: str | None,
        no_password: bool) -> None:
    """Create a console user."""
    from app.web.console.users import AccountError, create_user

    if password is None and not no_password:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    services = _services()
    try:
        with services.sessions() as session:
            user = create_user(session, username, role, password=password, wecom_userid=wecom_userid,
                               display_name=display_name)
            session.commit()
            click.echo(f"user {user.username} ({user.role}) created")
    except AccountError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    finally:
        services.close()


@users.command("list")
def list_users() -> None:
    """List console users."""
    from app.store.models import ConsoleUser

    services = _services()
    with services.sessions() as session:
        for user in session.execute(select(ConsoleUser).order_by(ConsoleUser.username)).scalars():
            click.echo(f"{user.username:<20} {user.role:<9} {user.wecom_userid or '-':<16} "
                       f"{'active' if user.active else 'disabled'}")
    services.close()


@users.command("token")
@click.argument("username")
@click.option("--name", default="api", show_default=True, help="What the token is for.")
@click.option("--days", default=90, show_default=True, type=click.IntRange(min=0), help="Lifetime; 0 = no expiry.")
def token(username: str, name: str, days: int) -> None:
    """Issue an API token for the user; the secret is printed once and only its hash is stored."""
    from app.web.console.users import issue_token

    services = _services()
    with services.sessions() as session:
        secret = issue_token(session, _find(session, username), name, days or None)
        session.commit()
    services.close()
    click.echo(secret)


@users.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Disable a user: their sessions end and their tokens are revoked."""
    from app.web.console.users import revoke_tokens

    services = _services()
    with services.sessions() as session:
        user = _find(session, username)
        user.active = False
        user.session_epoch += 1
        revoked = revoke_tokens(session, user)
        session.commit()
    services.close()
    click.echo(f"user {username} disabled; {revoked} token(s) revoked")
