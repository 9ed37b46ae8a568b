"""Console accounts: local passwords (hashed), WeCom members signed in by userid, and per-user API tokens."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.store.models import ApiToken, ConsoleUser, utcnow
from app.store.models.base import as_utc
from app.store.models.console import ROLES

USERNAME = re.compile(r"[A-Za-z0-9_.@-]{2,64}\Z")
MIN_PASSWORD = 8
TOKEN_PREFIX = "scrm_"
_DUMMY_HASH = generate_password_hash("not-a-password")


class AccountError(ValueError):
    """A user or token request that cannot be honoured, with a message for the person asking."""


def create_user(session: Session, username: str, role: str, *, password: str | None = None,
                wecom_userid: str | None = None, display_name: str | None = None) -> ConsoleUser:
    """Add a console user; AccountError for a bad name, role or password, or a name already taken."""
    if not USERNAME.match(username or ""):
        raise AccountError("username must be 2-64 letters, digits or _ . @ -")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise AccountError(f"password must have at least {MIN_PASSWORD} characters")
    if role == "sales" and not wecom_userid:
        raise AccountError("a sales user needs --userid (their WeCom userid): it decides whose contacts they see")
    if session.execute(select(ConsoleUser.id).where(ConsoleUser.username == username)).first():
        raise AccountError(f"user {username} already exists")
    if wecom_userid and session.execute(select(ConsoleUser.id).where(ConsoleUser.wecom_userid == wecom_userid)).first():
        raise AccountError(f"WeCom userid {wecom_userid} already belongs to another user")
    user = ConsoleUser(username=username, role=role, wecom_userid=wecom_userid or None, display_name=display_name,
                       password_hash=generate_password_hash(password) if password else None, active=True,
                       session_epoch=0, created_at=utcnow())
    session.add(user)
    session.flush()
    return user


def set_password(user: ConsoleUser, password: str) -> None:
    """Replace the password and end the user's existing sessions."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password must have at least {MIN_PASSWORD} characters")
    user.password_hash = generate_password_hash(password)
    user.session_epoch += 1


def check_login(session: Session, username: str, password: str) -> ConsoleUser | None:
    """The active user with this username and password, else None (same work either way)."""
    user = session.execute(select(ConsoleUser).where(ConsoleUser.username == username)).scalar_one_or_none()
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    if not check_password_hash(stored, password or "") or user is None or not user.active or not user.password_hash:
        return None
    user.last_login_at = utcnow()
    return user


def wecom_member_user(session: Session, userid: str, staff_userids: set[str]) -> ConsoleUser | None:
    """The console user for a WeCom member who signed in; staff listed in the staff file get a sales account."""
    user = session.execute(select(ConsoleUser).where(ConsoleUser.wecom_userid == userid)).scalar_one_or_none()
    if user is None and userid in staff_userids:
        user = create_user(session, _free_username(session, userid), "sales", wecom_userid=userid)
    if user is None or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def _free_username(session: Session, userid: str) -> str:
    name = userid[:60] if USERNAME.match(userid[:60]) else f"wecom_{hashlib.sha256(userid.encode()).hexdigest()[:12]}"
    taken = set(session.execute(select(ConsoleUser.username).where(ConsoleUser.username.like(f"{name}%"))).scalars())
    return next(candidate for n in range(len(taken) + 1)
                if (candidate := name if n == 0 else f"{name}.{n}") not in taken)


def token_hash(secret: str) -> str:
    """The stored form of a token: its sha256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(session: Session, user: ConsoleUser, name: str, days: int | None = 90,
                now: datetime | None = None) -> str:
    """Create an API token for the user and return its secret (shown once; only the hash is kept)."""
    now = now or utcnow()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=(name or "api")[:64], token_hash=token_hash(secret),
                         prefix=secret[:12], created_at=now,
                         expires_at=now + timedelta(days=days) if days else None))
    session.flush()
    return secret


def user_for_token(session: Session, secret: str, now: datetime | None = None) -> ConsoleUser | None:
    """The active user a live (not revoked, not expired) token belongs to, else None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    now = now or utcnow()
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == token_hash(secret))).scalar_one_or_none()
    if row is None or row.revoked_at is not None or (row.expires_at and as_utc(row.expires_at) <= now):
        return None
    user = session.get(ConsoleUser, row.user_id)
    if user is None or not user.active:
        return None
    row.last_used_at = now
    return user


def revoke_tokens(session: Session, user: ConsoleUser, now: datetime | None = None) -> int:
    """Revoke every live token of the user; return how many."""
    rows = session.execute(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                           ).scalars().all()
    for row in rows:
        row.revoked_at = now or utcnow()
    return len(rows)
