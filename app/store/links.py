"""Tracked links (the radar): swap sent URLs for `/r/<token>`, record opens, score identified viewers.

Tokens are per send, not per contact: a mass-send or Moments task carries one text and one set of
attachments for every recipient, so a click there is anonymous unless the viewer is identified through
WeCom OAuth (`?code=`). A link sent to one known contact (`LinkContext.contact_id`) names its viewer.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services import Services
from app.store.book import SessionBook
from app.store.contacts import add_activity
from app.store.lead_scores import record_score_event
from app.store.models import Contact, LinkOpen, StageChange, TrackedLink
from bots.effects import Action
from bots.journey import apply_signals
from bots.stage_rules import Signal
from content.journey import Journey
from content.scoring import ScoringConfig

log = logging.getLogger(__name__)
TOKEN_MAX = 64
QUOTE_KINDS = frozenset({"pricing", "quote"})
_URL = re.compile(r"https?://[^\s<>\"'，。！？、；：）】》]+")


@dataclass(frozen=True)
class LinkContext:
    """Where links are being sent: the public base, the send's key and step, the contact when known."""

    public_base: str
    action_key: str | None = None
    sequence_key: str | None = None
    step_id: str | None = None
    contact_id: int | None = None
    kind_of: Callable[[str], str | None] = lambda url: None


def rewrite_links(session: Session, attachments: list[dict[str, Any]], text: str,
                  context: LinkContext) -> tuple[list[dict[str, Any]], str]:
    """Replace link attachments' URLs and bare URLs in the text with tracked ones (the same URL, the same token)."""
    base = context.public_base.rstrip("/")
    done: dict[str, str] = {}

    def tracked(url: str, title: str | None = None) -> str:
        if url.startswith(f"{base}/r/"):
            return url
        if url not in done:
            done[url] = f"{base}/r/{_token_for(session, url, title, context)}"
        return done[url]

    rewritten = []
    for item in attachments:
        link = item.get("link") if item.get("msgtype") == "link" else None
        if isinstance(link, dict) and link.get("url"):
            item = {**item, "link": {**link, "url": tracked(link["url"], link.get("title"))}}
        rewritten.append(item)
    return rewritten, _URL.sub(lambda m: tracked(m.group(0)), text or "")


def track_action(session: Session, action: Action, context: LinkContext) -> Action:
    """Return the action with its payload's links tracked, tokens tied to the action's key."""
    payload = action.payload
    context = replace(context, action_key=action.key, sequence_key=payload.get("sequence_key"),
                      step_id=payload.get("step_id"))
    attachments, text = rewrite_links(session, list(payload.get("attachments") or []), payload.get("text", ""), context)
    return replace(action, payload={**payload, "attachments": attachments, "text": text})


def link_tracker(services: Services, session: Session) -> Callable[[Action], Action]:
    """Return a function that tracks the links of planned actions under the configured public base."""
    context = LinkContext(services.settings.public_base_url, kind_of=services.content.scoring.link_kind)
    return lambda action: track_action(session, action, context)


def find_link(session: Session, token: str) -> TrackedLink | None:
    """Return the tracked link for a token, None when unknown or malformed."""
    if not token or len(token) > TOKEN_MAX:
        return None
    return session.execute(select(TrackedLink).where(TrackedLink.token == token)).scalar_one_or_none()


def record_open(session: Session, link: TrackedLink, contact: Contact | None, now: datetime, *, ip: str,
                user_agent: str, secret: str, journey: Journey,
                scoring: ScoringConfig) -> tuple[list[StageChange], list[Action]]:
    """Store an open; for an identified contact also score it, apply the `link_clicked` rules and log the timeline."""
    session.add(LinkOpen(token=link.token, contact_id=contact.id if contact else None, opened_at=now,
                         ua_hash=_digest(secret, user_agent), ip_hash=_digest(secret, ip)))
    if contact is None:
        log.info("anonymous open of link %s", link.id)
        return [], []
    detail = {"token": link.token, "link_kind": link.link_kind, "url": link.url[:300]}
    signal = Signal("link_clicked", now, link_kind=link.link_kind, source=f"link:{link.token}")
    moved, actions = apply_signals(SessionBook(session), contact, [signal], journey, now)
    changes = record_score_event(session, contact, scoring.link_event(link.link_kind), None, detail, now,
                                 journey=journey, config=scoring)
    contact.last_activity_at = now
    label = journey.link_kinds.get(link.link_kind or "", "资料")
    add_activity(session, contact.id, "link_open", f"打开了{label}链接：{link.title or link.url}"[:500],
                 detail=detail, at=now)
    if link.link_kind in QUOTE_KINDS:
        who = contact.name or contact.external_userid
        add_activity(session, contact.id, "viewing_quote", f"客户{who}正在看报价（{label}）", detail=detail, at=now)
    log.info("contact %s opened link %s (%s)", contact.id, link.id, link.link_kind or "plain")
    return moved + changes, actions


def _token_for(session: Session, url: str, title: str | None, context: LinkContext) -> str:
    """Reuse the token of this URL in this send (a re-planned task keeps its links), else mint one."""
    if context.action_key is not None:
        existing = session.execute(select(TrackedLink.token).where(
            TrackedLink.action_key == context.action_key, TrackedLink.url == url,
            TrackedLink.contact_id.is_(None) if context.contact_id is None
            else TrackedLink.contact_id == context.contact_id)).scalars().first()
        if existing:
            return existing
    token = secrets.token_urlsafe(12)
    session.add(TrackedLink(token=token, url=url, title=(title or "")[:200] or None, link_kind=context.kind_of(url),
                            action_key=context.action_key, sequence_key=context.sequence_key,
                            step_id=context.step_id, contact_id=context.contact_id))
    session.flush()
    return token


def _digest(secret: str, value: str) -> str:
    """Keyed hash: opens can be told apart without keeping the IP or user agent itself."""
    return hmac.new(secret.encode(), (value or "").encode(), hashlib.sha256).hexdigest()[:32]
