"""GET /r/<token>: count the open, identify the viewer through WeCom OAuth when possible, redirect."""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, redirect, request
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as WerkzeugResponse

from app.services import Services
from app.store import outbox
from app.store.book import SessionBook
from app.store.links import QUOTE_KINDS, TOKEN_MAX, find_link, record_open
from app.store.models import Contact, TrackedLink, utcnow
from app.web.throttle import allowed
from app.wecom.errors import WeComError
from bots.alerts import raise_alert
from jobs.pipeline.actions import enqueue_actions

log = logging.getLogger(__name__)
bp = Blueprint("links", __name__)
IN_APP_BROWSERS = ("micromessenger", "wxwork")
PAGE = ("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{title}</title></head>"
        "<body><h1>{title}</h1><p>{body}</p></body></html>")


@bp.get("/r/<path:token>")
def open_link(token: str) -> Any:
    """Record one open of a tracked link and redirect to where it points."""
    services = current_app.extensions["scrm"]
    if not allowed(services, "links", services.settings.link_rate_limit, request.remote_addr or "-"):
        return _page(429, "访问太频繁", "请稍等一分钟后再打开这个链接。")
    if len(token) > TOKEN_MAX or "/" in token:
        return _page(404, "链接不存在", "这个链接不存在或已失效，请联系发送给您的顾问。")
    with services.sessions() as session:
        link = find_link(session, token)
        if link is None:
            return _page(404, "链接不存在", "这个链接不存在或已失效，请联系发送给您的顾问。")
        through_oauth = _oauth_redirect(services.settings, token)
        if through_oauth is not None:
            return through_oauth
        url = link.url
        contact = _viewer(services, session, link)
        changes, actions = record_open(session, link, contact, utcnow(), ip=request.remote_addr or "",
                                       user_agent=request.headers.get("User-Agent", ""),
                                       secret=services.settings.wecom_secret, journey=services.content.journey,
                                       scoring=services.content.scoring)
        if contact is not None and link.link_kind in QUOTE_KINDS:
            now = utcnow()
            actions += raise_alert(SessionBook(session), services.settings, services.content, contact, "link", "link",
                                   [], [f"正在看：{link.title or link.url}"],
                                   [f"opened the tracked {link.link_kind} link"], now, now)
        created = outbox.store_actions(session, actions)
        session.commit()
    if changes:
        log.info("link %s open moved contact %s: %d changes", token[:8], contact.id if contact else "-", len(changes))
    enqueue_actions(services, created)
    response = redirect(url, 302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _oauth_redirect(settings: Any, token: str) -> WerkzeugResponse | None:
    """Send a viewer in WeChat's or WeCom's browser once through OAuth (snsapi_base, silent) so the open names them.

    Only when OAuth is configured, only in those browsers (elsewhere the authorize page cannot answer), and never
    again when the viewer comes back (with a `code`, or with only `state` when they declined).
    """
    if not settings.oauth_authorize_url or "code" in request.args or "state" in request.args:
        return None
    agent = request.headers.get("User-Agent", "").lower()
    if not any(browser in agent for browser in IN_APP_BROWSERS):
        return None
    back = f"{settings.public_base_url.rstrip('/')}/r/{token}"
    query = urlencode({"appid": settings.wecom_corp_id, "redirect_uri": back, "response_type": "code",
                       "scope": "snsapi_base", "state": "scrm", "agentid": settings.wecom_agent_id})
    response = redirect(f"{settings.oauth_authorize_url}?{query}#wechat_redirect", 302)
    response.headers["Cache-Control"] = "no-store"
    return response


def _viewer(services: Services, session: Session, link: TrackedLink) -> Contact | None:
    """Return the contact who opened the link: from an OAuth `code`, else the link's own contact, else None."""
    external_userid = _from_code(services, request.args.get("code", ""))
    if external_userid:
        query = select(Contact).where(Contact.external_userid == external_userid)
    elif link.contact_id is not None:
        query = select(Contact).where(Contact.id == link.contact_id)
    else:
        return None
    return session.execute(query.with_for_update()).scalar_one_or_none()


def _from_code(services: Services, code: str) -> str | None:
    """Resolve an OAuth code to an external_userid through the gateway; None when absent or refused."""
    if not code or len(code) > 512:
        return None
    try:
        return services.gateway.oauth.viewer_of_code(code)
    except WeComError as err:
        log.info("oauth code refused: %s %s", type(err).__name__, err.errcode)
        return None


def _page(status: int, title: str, body: str) -> Response:
    """A small Chinese page for the viewer."""
    return Response(PAGE.format(title=title, body=body), status=status, mimetype="text/html")
