"""Who may see what: a principal (role and the staff whose contacts they see) and the query filters it implies."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from app.services import Services
from app.store.models import ConsoleUser, Contact, Follow, LeadAlert
from app.store.models.contacts import ACTIVE
from content.staff import StaffBook

ABILITIES = {
    "admin": {"contacts", "act", "leads", "content", "events", "dashboard"},
    "marketer": {"contacts", "leads", "content", "dashboard"},
    "sales": {"contacts", "act", "leads", "dashboard"},
}


@dataclass(frozen=True)
class Principal:
    """The caller: a console user or the admin token. `owners` None means every contact."""

    username: str
    role: str
    wecom_userid: str | None = None
    owners: frozenset[str] | None = None

    @property
    def sees_all(self) -> bool:
        """True when no owner filter applies."""
        return self.owners is None

    def can(self, ability: str) -> bool:
        """Whether the role allows this ability (contacts, act, leads, content, events, dashboard)."""
        return ability in ABILITIES.get(self.role, set())

    @property
    def actor(self) -> str:
        """The name recorded as who did something."""
        return (self.wecom_userid or self.username)[:64]

    def acting_as(self, by: object, default: str = "") -> str:
        """Who acts: the request's `by` when the admin token calls on someone's behalf, else this principal."""
        if self is ADMIN_TOKEN_PRINCIPAL:
            return str(by or default)[:64]
        return self.actor


ADMIN_TOKEN_PRINCIPAL = Principal("admin-token", "admin")


def staff_book(services: Services) -> StaffBook:
    """The staff file (teams and managers), from the process's content cache."""
    return services.content.staff


def team_of(book: StaffBook, userid: str) -> frozenset[str]:
    """The member and everyone who reports to them, directly or through other managers."""
    seen, frontier = {userid}, [userid]
    while frontier:
        boss = frontier.pop()
        for member in book.members.values():
            if member.manager == boss and member.userid not in seen:
                seen.add(member.userid)
                frontier.append(member.userid)
    return frozenset(seen)


def principal_for(user: ConsoleUser, book: StaffBook) -> Principal:
    """Admins and marketers see every contact; sales see their own and their reports' (their team as its lead)."""
    if user.role in ("admin", "marketer"):
        return Principal(user.username, user.role, user.wecom_userid)
    owners = team_of(book, user.wecom_userid) if user.wecom_userid else frozenset()
    return Principal(user.username, user.role, user.wecom_userid, owners)


def visible_contacts(query: Select, principal: Principal) -> Select:
    """Limit a query over Contact to the contacts the principal may see (owner or any relation in their team)."""
    if principal.sees_all:
        return query
    owners = sorted(principal.owners or ())
    return query.where(or_(Contact.owner_userid.in_(owners),
                           exists().where(Follow.contact_id == Contact.id, Follow.userid.in_(owners),
                                          Follow.status == ACTIVE)))


def visible_alerts(query: Select, principal: Principal) -> Select:
    """Limit a query over LeadAlert to alerts on contacts the principal may see."""
    if principal.sees_all:
        return query
    return query.where(LeadAlert.contact_id.in_(visible_contacts(select(Contact.id), principal)))


def get_contact(session: Session, principal: Principal, contact_id: int) -> Contact | None:
    """The contact if it exists and the principal may see it; None otherwise (callers answer 404 either way)."""
    query = visible_contacts(select(Contact).where(Contact.id == contact_id), principal)
    return session.execute(query).scalar_one_or_none()
