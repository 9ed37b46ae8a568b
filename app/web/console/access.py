"""Authentication: bearer tokens for the JSON API, Flask-Login sessions (with expiry) and CSRF for the console."""
from __future__ import annotations

import hmac
import time
from functools import wraps
from typing import Callable

from flask import Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from app.store.models import ConsoleUser
from app.web.console.scope import ADMIN_TOKEN_PRINCIPAL, Principal, principal_for, staff_book
from app.web.console.users import user_for_token
from app.web.errors import error_response

CSRF_FREE_PREFIXES = ("/api/", "/wecom/", "/r/", "/healthz")
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "console.login"
login_manager.login_message = "请先登录"
login_manager.session_protection = "basic"


class SessionUser(UserMixin):
    """The signed-in console user as Flask-Login keeps them: id and session epoch, and their principal."""

    def __init__(self, user: ConsoleUser, principal: Principal) -> None:
        self.user_id, self.epoch, self.principal = user.id, user.session_epoch, principal
        self.username, self.display_name, self.role = user.username, user.display_name or user.username, user.role

    def get_id(self) -> str:
        """The session key: user id and epoch (a password change or disable ends old sessions)."""
        return f"{self.user_id}:{self.epoch}"


@login_manager.user_loader
def _load_user(key: str) -> SessionUser | None:
    """The user behind a session cookie, unless the session expired, the epoch moved on or they were disabled."""
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    started = session.get("login_at")
    if not isinstance(started, (int, float)) or time.time() - started > lifetime:
        return None
    user_id, _, epoch = key.partition(":")
    if not user_id.isdigit() or not epoch.isdigit():
        return None
    services = current_app.extensions["scrm"]
    with services.sessions() as db:
        user = db.get(ConsoleUser, int(user_id))
        if user is None or not user.active or user.session_epoch != int(epoch):
            return None
        return SessionUser(user, principal_for(user, staff_book(services)))


def start_session(user: ConsoleUser, principal: Principal) -> SessionUser:
    """Sign the user in with a fresh, permanent (expiring) session."""
    from flask_login import login_user

    session.clear()
    session.permanent = True
    session["login_at"] = time.time()
    login_user(SessionUser(user, principal))
    return current_user


def init_auth(app: Flask) -> None:
    """Configure sessions, Flask-Login and CSRF (form posts outside the API, the callback and /r/ links)."""
    settings = app.extensions["scrm"].settings
    app.config.update(SECRET_KEY=settings.secret_key, PERMANENT_SESSION_LIFETIME=settings.session_minutes * 60,
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
                      WTF_CSRF_CHECK_DEFAULT=False, WTF_CSRF_TIME_LIMIT=settings.session_minutes * 60)
    csrf.init_app(app)
    login_manager.init_app(app)

    @app.before_request
    def _csrf_guard():
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and not request.path.startswith(CSRF_FREE_PREFIXES):
            csrf.protect()

    @app.errorhandler(CSRFError)
    def _csrf_failed(err):
        return render_template("console/error.html", title="请求已失效",
                               message="表单已过期或缺少安全令牌，请刷新页面后重试。"), 400


def bearer_principal() -> Principal | None:
    """The caller of an API request: the admin token (everything) or a user's token (their scope); else None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    services = current_app.extensions["scrm"]
    expected = services.settings.scrm_admin_token
    if expected and hmac.compare_digest(token.encode(), expected.encode()):
        return ADMIN_TOKEN_PRINCIPAL
    with services.sessions() as db:
        user = user_for_token(db, token)
        if user is None:
            return None
        principal = principal_for(user, staff_book(services))
        db.commit()
    return principal


def api_auth(ability: str | None = None) -> Callable:
    """Require a bearer token (401 without a valid one) whose role allows `ability` (403 otherwise)."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = bearer_principal()
            if principal is None:
                response, status = error_response("unauthorized", 401)
                return response, status, {"WWW-Authenticate": "Bearer"}
            if ability and not principal.can(ability):
                return error_response("forbidden", 403)
            g.principal = principal
            return view(*args, **kwargs)
        return wrapper
    return decorate


def page(ability: str | None = None) -> Callable:
    """Require a signed-in console user (redirect to the sign-in page) whose role allows `ability` (403 page)."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
            if ability and not current_user.principal.can(ability):
                abort(403)
            g.principal = current_user.principal
            return view(*args, **kwargs)
        return wrapper
    return decorate
