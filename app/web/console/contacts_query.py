"""Contact search and filters, and the compact sidebar view: shared by the JSON API and the console pages."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from app.services import Services
from app.store.contact_json import contact_json
from app.store.models import Contact
from app.store.models.base import iso
from app.web.console.scope import Principal, visible_contacts

PAGE_SIZE = 50
MAX_PAGE = 200
OPT_OUT_TAG = "勿扰"


class FilterError(ValueError):
    """A filter value that cannot be used, with a message for the user."""


@dataclass(frozen=True)
class ContactFilters:
    """What the user searches for; empty fields do not filter."""

    q: str = ""
    stage: str = ""
    tag: str = ""
    channel: str = ""
    owner: str = ""
    min_score: float | None = None
    max_score: float | None = None
    limit: int = PAGE_SIZE
    offset: int = 0
    problems: tuple[str, ...] = field(default=(), compare=False)


NUMBER_FILTERS = {"min_score": "最低分", "max_score": "最高分", "limit": "每页条数", "offset": "起始位置"}


def parse_filters(args) -> ContactFilters:
    """Read filters from query arguments; FilterError naming the first bad one."""
    def number(name: str, cast, low, high):
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            value = cast(raw)
        except ValueError:
            raise FilterError(f"{NUMBER_FILTERS[name]}（{name}）必须是数字") from None
        if not low <= value <= high:
            raise FilterError(f"{NUMBER_FILTERS[name]}（{name}）必须在 {low:,.0f} 到 {high:,.0f} 之间")
        return value

    def text(name: str) -> str:
        return (args.get(name) or "").strip()[:64]

    return ContactFilters(q=text("q"), stage=text("stage"), tag=text("tag"), channel=text("channel"),
                          owner=text("owner"), min_score=number("min_score", float, -1e6, 1e6),
                          max_score=number("max_score", float, -1e6, 1e6),
                          limit=number("limit", int, 1, MAX_PAGE) or PAGE_SIZE,
                          offset=number("offset", int, 0, 10**9) or 0)


def contact_tags(contact: Contact, journey, channels) -> list[str]:
    """The tags the planner sees on a contact: its stage's name, its channel's tags, 勿扰 when opted out."""
    names = {stage.key: stage.name for stage in journey.stages}
    tags = [names.get(contact.stage, contact.stage), *channels.for_state(contact.channel_state).initial_tags]
    return tags + [OPT_OUT_TAG] if contact.nurture_stopped == "opted_out" else tags


def search_contacts(session: Session, principal: Principal, filters: ContactFilters, journey, channels) -> dict:
    """One page of the contacts the principal may see that match the filters, with the total count."""
    query = visible_contacts(select(Contact), principal)
    if filters.q:
        like = f"%{filters.q}%"
        query = query.where(or_(Contact.name.ilike(like), Contact.corp_name.ilike(like),
                                Contact.external_userid == filters.q))
    if filters.stage:
        query = query.where(Contact.stage == filters.stage)
    if filters.channel:
        query = query.where(Contact.channel_state == filters.channel)
    if filters.owner:
        query = query.where(Contact.owner_userid == filters.owner)
    if filters.min_score is not None:
        query = query.where(Contact.score >= filters.min_score)
    if filters.max_score is not None:
        query = query.where(Contact.score <= filters.max_score)
    if filters.tag:
        query = query.where(_tag_clause(filters.tag, journey, channels))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(Contact.score.desc(), Contact.id.desc())
                           .limit(filters.limit).offset(filters.offset)).scalars().all()
    names = {stage.key: stage.name for stage in journey.stages}
    return {"total": total, "limit": filters.limit, "offset": filters.offset, "contacts": [
        {"id": c.id, "name": c.name, "corp_name": c.corp_name, "channel": c.channel_state,
         "channel_name": channels.for_state(c.channel_state).name, "owner": c.owner_userid, "stage": c.stage,
         "stage_name": names.get(c.stage, c.stage), "lead_status": c.lead_status, "score": round(c.score, 1),
         "nurture_stopped": c.nurture_stopped, "tags": contact_tags(c, journey, channels),
         "last_activity_at": iso(c.last_activity_at)} for c in rows]}


def _tag_clause(tag: str, journey, channels):
    """Contacts carrying `tag`: through their stage's name, their channel's tags, or the opt-out tag."""
    clauses = [Contact.stage == stage.key for stage in journey.stages if stage.name == tag]
    states = [state for state, channel in channels.channels.items() if tag in channel.initial_tags]
    if states:
        clauses.append(Contact.channel_state.in_(states))
    if tag in channels.default.initial_tags:
        clauses.append(Contact.channel_state.is_(None))
    if tag == OPT_OUT_TAG:
        clauses.append(Contact.nurture_stopped == "opted_out")
    return or_(*clauses) if clauses else false()


def sidebar_view(session: Session, services: Services, contact: Contact, now, days: int = 7) -> dict:
    """What staff need next to a chat: stage, score, lead status, recent activity and the next planned touches."""
    from app.store.content_versions import active_version
    from app.web.console.leads import lead_alerts
    from app.web.console.scope import ADMIN_TOKEN_PRINCIPAL
    from jobs.nurture.preview import preview
    from jobs.nurture.sends import calendar_for

    journey = services.content.journey
    full = contact_json(session, contact, journey)
    alerts = lead_alerts(session, ADMIN_TOKEN_PRINCIPAL, open_only=True, contact_id=contact.id)
    touches: list[dict] = []
    version = active_version(session)
    if version is not None and contact.nurture_stopped is None:
        for day in preview(session, services, calendar_for(services, version), version.id, days, now, contact.id):
            touches += [{"date": day.date, "at": s["at"], "touchpoint": s["touchpoint"], "step": s["step"],
                         "by": s["by"], "text": s["text"]} for s in day.sends]
    return {"contact": {key: full[key] for key in ("id", "name", "corp_name", "channel", "owner", "stage",
                                                   "lead_status", "nurture_stopped", "score")},
            "tags": contact_tags(contact, journey, services.content.channels()),
            "open_alerts": [{"id": a.id, "intent": a.explanation.get("intent") or a.intent, "summary": a.summary,
                             "said": (a.explanation.get("messages") or [""])[-1],
                             "next_step": a.explanation.get("next_step"),
                             "created_at": iso(a.created_at)} for a in alerts],
            "recent": full["timeline"][-8:][::-1],
            "next_touches": touches[:5],
            "horizon_days": days}


def stage_choices(journey) -> list[dict]:
    """Stages in journey order, for pickers."""
    return [{"key": stage.key, "name": stage.name} for stage in journey.stages]

