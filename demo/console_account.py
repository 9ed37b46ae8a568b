"""The demo's console account: an admin whose fresh password is printed when the demo starts."""
from __future__ import annotations

import secrets

from sqlalchemy import select

from app.services import Services
from app.store.models import ConsoleUser
from app.web.console.users import create_user, set_password

DEMO_USERNAME = "demo"


def ensure_demo_admin(services: Services) -> tuple[str, str]:
    """Create (or re-key) the demo admin with a new random password; return (username, password)."""
    password = secrets.token_urlsafe(9)
    with services.sessions() as session:
        user = session.execute(select(ConsoleUser).where(ConsoleUser.username == DEMO_USERNAME)).scalar_one_or_none()
        if user is None:
            create_user(session, DEMO_USERNAME, "admin", password=password, display_name="演示管理员")
        else:
            set_password(user, password)
            user.active, user.role = True, "admin"
        session.commit()
    return DEMO_USERNAME, password
