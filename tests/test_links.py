"""Tracked links: rewriting, the redirect, recorded opens, 404s, the rate limit, and OAuth-identified viewers."""
from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from app.store.contacts import get_or_create_contact
from app.store.links import LinkContext, rewrite_links, track_action
from app.store.models import Activity, Contact, LinkOpen, ScoreEventRow, StageChange, TrackedLink
from bots.effects import Action

BASE = "https://scrm.example.cn"
PRICING = "https://example.com/pricing"
ATTACHMENTS = [{"msgtype": "link", "link": {"title": "价格方案", "url": PRICING}},
               {"msgtype": "image", "image": {"pic_url": "https://example.com/img/a.jpg"}},
               {"msgtype": "link", "link": {"title": "案例", "url": "https://example.com/cases/hr-saas"}}]


def context(services, **extra) -> LinkContext:
    """A link context that names link kinds by the scoring file's paths."""
    return LinkContext(BASE, kind_of=services.content.scoring.link_kind, **extra)


def tracked(session, url: str = PRICING, **extra) -> TrackedLink:
    """Rewrite one link attachment and return its stored tracked link."""
    attachments, _ = rewrite_links(session, [{"msgtype": "link", "link": {"title": "价格方案", "url": url}}], "",
                                   extra.pop("context"))
    token = attachments[0]["link"]["url"].rsplit("/", 1)[1]
    return session.execute(select(TrackedLink).where(TrackedLink.token == token)).scalar_one()


def test_rewrite_replaces_link_attachments_and_bare_urls(services):
    with services.sessions() as session:
        text = f"看看价格：{PRICING}，还有案例 https://example.com/cases/hr-saas。已跟踪的 {BASE}/r/abc 不变"
        attachments, new_text = rewrite_links(session, ATTACHMENTS, text, context(services, action_key="k1"))
        urls = [a["link"]["url"] for a in attachments if a["msgtype"] == "link"]
        assert all(u.startswith(f"{BASE}/r/") for u in urls)
        assert len(set(urls)) == 2
        assert attachments[1] == ATTACHMENTS[1]
        assert ATTACHMENTS[0]["link"]["url"] == PRICING
        assert urls[0] in new_text
        assert urls[1] in new_text
        assert f"{BASE}/r/abc" in new_text
        assert "example.com" not in new_text
        links = {link.url: link for link in session.execute(select(TrackedLink)).scalars()}
        assert links[PRICING].link_kind == "pricing"
        assert links[PRICING].title == "价格方案"
        assert links["https://example.com/cases/hr-saas"].link_kind == "case_study"
        assert all(link.action_key == "k1" and link.contact_id is None for link in links.values())


def test_a_replanned_action_keeps_its_tokens(services):
    action = Action("mass_send", "nurture:s:1", {"text": "", "attachments": ATTACHMENTS, "sequence_key": "s",
                                                 "step_id": "d1"})
    with services.sessions() as session:
        first, again = (track_action(session, action, context(services)),
                        track_action(session, action, context(services)))
        assert first.payload == again.payload
        assert first.key == action.key
        assert session.execute(select(TrackedLink.step_id)).scalars().all() == ["d1", "d1"]


def test_open_is_recorded_and_redirected_without_storing_the_ip(services, client):
    with services.sessions() as session:
        token = tracked(session, context=context(services)).token
        session.commit()
    reply = client.get(f"/r/{token}", headers={"User-Agent": "MicroMessenger"},
                       environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert reply.status_code == 302
    assert reply.headers["Location"] == PRICING
    assert reply.headers["Referrer-Policy"] == "no-referrer"
    with services.sessions() as session:
        opened = session.execute(select(LinkOpen)).scalar_one()
        assert opened.token == token
        assert opened.contact_id is None
        assert "203.0.113.7" not in opened.ip_hash
        assert len(opened.ip_hash) == 32
        assert opened.ua_hash != opened.ip_hash


@pytest.mark.parametrize("token", ["nope", "x" * 65, "a/b"])
def test_unknown_or_overlong_token_is_a_chinese_404(client, token):
    reply = client.get(f"/r/{token}")
    assert reply.status_code == 404
    assert "链接不存在" in reply.get_data(as_text=True)


def test_public_endpoint_is_rate_limited_per_ip(client):
    codes = [client.get("/r/unknown", environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code for _ in range(61)]
    assert codes[:60] == [404] * 60
    assert codes[60] == 429
    assert "访问太频繁" in client.get("/r/unknown", environ_base={"REMOTE_ADDR": "198.51.100.1"}).get_data(as_text=True)
    assert client.get("/r/unknown", environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code == 404


def test_a_per_contact_link_names_its_viewer(services, client):
    with services.sessions() as session:
        contact, _ = get_or_create_contact(session, "wmPerContact", "deeper_understanding")
        token = tracked(session, "https://example.com/cases/x", context=context(services, contact_id=contact.id)).token
        session.commit()
    assert client.get(f"/r/{token}").status_code == 302
    with services.sessions() as session:
        contact = session.execute(select(Contact).where(Contact.external_userid == "wmPerContact")).scalar_one()
        assert contact.score == 8
        assert contact.last_activity_at is not None
        kinds = [a.kind for a in session.execute(select(Activity)).scalars()]
        assert kinds == ["link_open"]


def test_oauth_code_identifies_the_viewer_scores_and_moves_the_stage(world):
    world.state.contacts.add_prospect("zhangsan", external_userid="wmOauthViewer", name="王总", emit=False)
    services = world.services
    with services.sessions() as session:
        contact, _ = get_or_create_contact(session, "wmOauthViewer", "need_arises")
        contact.name, contact.owner_userid = "王总", "zhangsan"
        token = tracked(session, context=context(services)).token
        session.commit()
    code = requests.post(f"{world.sandbox.url}/sandbox/oauth/code", json={"external_userid": "wmOauthViewer"},
                         timeout=5).json()["code"]
    reply = world.client.get(f"/r/{token}?code={code}")
    assert reply.status_code == 302
    assert reply.headers["Location"] == PRICING
    with services.sessions() as session:
        contact = session.execute(select(Contact).where(Contact.external_userid == "wmOauthViewer")).scalar_one()
        assert contact.stage == "product_selection"
        assert contact.score == 25
        move = session.execute(select(StageChange).where(StageChange.contact_id == contact.id)).scalar_one()
        assert move.rule_id == "viewed_pricing"
        assert move.reason.startswith("查看了价格方案，进入选择产品阶段")
        assert f"link:{token}" in move.reason
        event = session.execute(select(ScoreEventRow)).scalar_one()
        assert (event.kind, event.weight, event.detail["link_kind"]) == ("link_open_pricing", 15, "pricing")
        summaries = {a.kind: a.summary for a in session.execute(select(Activity)).scalars()}
        assert summaries["viewing_quote"] == "客户王总正在看报价（价格方案）"
        assert session.execute(select(LinkOpen.contact_id)).scalar_one() == contact.id
    world.drain()
    [card] = [m for m in world.state.messaging.app_messages_for("zhangsan") if m["msgtype"] == "textcard"]
    assert card["textcard"]["title"] == "🔥 热线索：王总（未知公司）查看报价"
    assert "正在看：价格方案" in card["textcard"]["description"]
    again = world.client.get(f"/r/{token}?code={code}")
    assert again.status_code == 302
    with services.sessions() as session:
        assert session.execute(select(LinkOpen.contact_id).order_by(LinkOpen.id.desc())).scalars().first() is None


WECOM_BROWSER = {"User-Agent": "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 MicroMessenger/8.0.50 wxwork/4.1.30"}


def test_a_viewer_in_wecoms_browser_goes_through_oauth_once_and_is_named(world):
    world.state.contacts.add_prospect("zhangsan", external_userid="wmRedirected", name="李总", emit=False)
    services = world.services
    services.settings.oauth_authorize_url = f"{world.sandbox.url}/connect/oauth2/authorize"
    with services.sessions() as session:
        contact, _ = get_or_create_contact(session, "wmRedirected", "need_arises")
        contact.owner_userid = "zhangsan"
        token = tracked(session, context=context(services)).token
        session.commit()
    first = world.client.get(f"/r/{token}", headers=WECOM_BROWSER)
    assert first.status_code == 302
    assert first.headers["Location"].endswith("#wechat_redirect")
    assert f"redirect_uri=http%3A%2F%2F127.0.0.1%3A8000%2Fr%2F{token}" in first.headers["Location"]
    with services.sessions() as session:
        assert session.execute(select(LinkOpen)).first() is None, "the open is recorded once, on the way back"
    back = requests.get(first.headers["Location"].split("#")[0], headers={"X-Sandbox-Viewer": "wmRedirected"},
                        allow_redirects=False, timeout=5)
    assert back.status_code == 302
    assert "code=" in back.headers["Location"]
    assert "state=scrm" in back.headers["Location"]
    landed = world.client.get(back.headers["Location"].removeprefix("http://127.0.0.1:8000"), headers=WECOM_BROWSER)
    assert landed.status_code == 302
    assert landed.headers["Location"] == PRICING
    with services.sessions() as session:
        viewer = session.execute(select(Contact).where(Contact.external_userid == "wmRedirected")).scalar_one()
        assert session.execute(select(LinkOpen.contact_id)).scalar_one() == viewer.id
        assert viewer.score == 25


def test_outside_wecom_or_when_the_viewer_declines_the_link_just_opens(world):
    services = world.services
    services.settings.oauth_authorize_url = f"{world.sandbox.url}/connect/oauth2/authorize"
    with services.sessions() as session:
        token = tracked(session, context=context(services)).token
        session.commit()
    desktop = world.client.get(f"/r/{token}", headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120"})
    assert desktop.status_code == 302
    assert desktop.headers["Location"] == PRICING
    first = world.client.get(f"/r/{token}", headers=WECOM_BROWSER)
    anonymous = requests.get(first.headers["Location"].split("#")[0], allow_redirects=False, timeout=5)
    assert "code=" not in anonymous.headers["Location"]
    assert anonymous.headers["Location"].endswith("state=scrm")
    declined = world.client.get(anonymous.headers["Location"].removeprefix("http://127.0.0.1:8000"),
                                headers=WECOM_BROWSER)
    assert declined.status_code == 302
    assert declined.headers["Location"] == PRICING
    with services.sessions() as session:
        assert [row.contact_id for row in session.execute(select(LinkOpen)).scalars()] == [None, None]
