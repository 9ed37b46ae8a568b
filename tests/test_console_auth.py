"""Console and API authorization: teams see only their contacts, tokens and sessions are checked, forms need CSRF."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import requests
from sqlalchemy import select

from app.store.models import ApiToken, ConsoleUser, Contact, utcnow
from app.web.factory import create_app
from tests.console_world import PASSWORD
from tests.settings import ADMIN_TOKEN

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')



def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def csrf_of(client, path: str) -> str:
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def signed_in(cw, username: str):
    client = create_app(services=cw.services).test_client()
    answer = client.post("/console/login", data={"username": username, "password": PASSWORD,
                                                 "csrf_token": csrf_of(client, "/console/login")})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/console/")
    return client


def test_sales_sees_only_their_team_in_the_console(cw):
    zhangsan = signed_in(cw, "zhangsan")
    listing = zhangsan.get("/console/contacts").get_data(as_text=True)
    assert f"/console/contacts/{cw.hot_lead}" in listing
    assert f"/console/contacts/{cw.other_team}" not in listing
    assert zhangsan.get(f"/console/contacts/{cw.hot_lead}").status_code == 200
    for path in (f"/console/contacts/{cw.other_team}", f"/console/sidebar/{cw.other_team}"):
        page = zhangsan.get(path)
        assert page.status_code == 404
        assert "页面不存在" in page.get_data(as_text=True)
    token = csrf_of(zhangsan, "/console/leads")
    assert f"lead-{cw.other_alert}" not in zhangsan.get("/console/leads").get_data(as_text=True)
    assert zhangsan.post(f"/console/leads/{cw.other_alert}/ack", data={"csrf_token": token}).status_code == 404
    assert zhangsan.post(f"/console/contacts/{cw.other_team}/stage",
                         data={"csrf_token": token, "stage": "product_selection"}).status_code == 404
    with cw.services.sessions() as session:
        hidden, own = (session.get(Contact, i).external_userid for i in (cw.other_team, cw.hot_lead))
    lookup = zhangsan.get(f"/console/sidebar?external_userid={hidden}")
    assert lookup.status_code == 404
    assert f"/{cw.other_team}" not in lookup.get_data(as_text=True)
    assert zhangsan.get(f"/console/sidebar?external_userid={own}").headers["Location"].endswith(
        f"/sidebar/{cw.hot_lead}")
    manager = signed_in(cw, "lijingli")
    listing = manager.get("/console/contacts").get_data(as_text=True)
    assert f"/console/contacts/{cw.hot_lead}" in listing
    assert f"/console/contacts/{cw.other_team}" in listing


def test_sales_tokens_see_only_their_team_through_the_api(cw):
    client = cw.world.client
    own = bearer(cw.tokens["zhangsan"])
    assert client.get(f"/api/contacts/{cw.hot_lead}", headers=own).status_code == 200
    for method, path in (("get", f"/api/contacts/{cw.other_team}"), ("get", f"/api/sidebar/{cw.other_team}"),
                         ("post", f"/api/contacts/{cw.other_team}/stage"), ("post", f"/api/leads/{cw.other_alert}/ack"),
                         ("post", f"/api/contacts/{cw.other_team}/nurture"),
                         ("post", f"/api/contacts/{cw.other_team}/contacted")):
        body = {"stage": "product_selection", "action": "stop", "by": "zhangsan"}
        assert getattr(client, method)(path, headers=own, json=body).status_code == 404, path
    listed = {c["id"] for c in client.get("/api/contacts", headers=own).get_json()["contacts"]}
    assert listed == {cw.hot_lead, cw.quiet}
    assert {a["contact_id"] for a in client.get("/api/leads", headers=own).get_json()["leads"]} == {cw.hot_lead}
    dashboard = client.get("/api/dashboard", headers=own).get_json()
    assert sum(f["contacts"] for f in dashboard["funnel"]) == 2
    assert dashboard["hot_leads"]["today"] == 1
    everyone = {c["id"] for c in client.get("/api/contacts",
                                            headers=bearer(cw.tokens["lijingli"])).get_json()["contacts"]}
    assert everyone == {cw.hot_lead, cw.quiet, cw.other_team}
    assert client.get("/api/me", headers=own).get_json() == {"username": "zhangsan", "role": "sales",
                                                             "wecom_userid": "zhangsan", "owners": ["zhangsan"]}


def test_roles_limit_what_a_token_or_user_may_do(cw):
    client = cw.world.client
    assert client.get("/api/content/versions", headers=bearer(cw.tokens["zhangsan"])).status_code == 403
    assert client.get("/api/events", headers=bearer(cw.tokens["marketer"])).status_code == 403
    assert client.post(f"/api/leads/{cw.alert}/ack", headers=bearer(cw.tokens["marketer"]), json={}).status_code == 403
    assert client.get("/api/content/versions", headers=bearer(cw.tokens["marketer"])).status_code == 200
    assert signed_in(cw, "zhangsan").get("/console/content").status_code == 403


def test_missing_wrong_expired_and_revoked_tokens_are_refused(cw):
    client = cw.world.client
    with cw.services.sessions() as session:
        rows = {u.username: u.id for u in session.execute(select(ConsoleUser)).scalars()}
        expired = session.execute(select(ApiToken).where(ApiToken.user_id == rows["wangwu"])).scalar_one()
        expired.expires_at = utcnow() - timedelta(seconds=1)
        revoked = session.execute(select(ApiToken).where(ApiToken.user_id == rows["marketer"])).scalar_one()
        revoked.revoked_at = utcnow()
        session.get(ConsoleUser, rows["lijingli"]).active = False
        session.commit()
    for headers in ({}, bearer("wrong"), bearer(cw.tokens["zhangsan"] + "x"), {"Authorization": cw.tokens["zhangsan"]},
                    bearer(cw.tokens["wangwu"]), bearer(cw.tokens["marketer"]), bearer(cw.tokens["lijingli"])):
        for path in ("/api/contacts", f"/api/contacts/{cw.hot_lead}", "/api/leads", "/api/dashboard"):
            answer = client.get(path, headers=headers)
            assert answer.status_code == 401, (headers, path)
            assert answer.headers["WWW-Authenticate"] == "Bearer", (headers, path)
    assert client.get("/api/contacts", headers=bearer(ADMIN_TOKEN)).get_json()["total"] == 3
    with cw.services.sessions() as session:
        used = session.execute(select(ApiToken).where(ApiToken.user_id == rows["zhangsan"])).scalar_one()
        assert used.last_used_at is None
        assert len(used.token_hash) == 64
        assert cw.tokens["zhangsan"] not in used.token_hash


def test_expired_or_ended_sessions_and_cookies_on_the_api_are_refused(cw):
    client = signed_in(cw, "zhangsan")
    assert client.get("/console/").status_code == 200
    assert client.get("/api/contacts").status_code == 401
    with client.session_transaction() as session:
        session["login_at"] = time.time() - cw.services.settings.session_minutes * 60 - 1
    answer = client.get("/console/contacts")
    assert answer.status_code == 302
    assert "/console/login" in answer.headers["Location"]
    again = signed_in(cw, "zhangsan")
    with cw.services.sessions() as session:
        session.execute(select(ConsoleUser).where(ConsoleUser.username == "zhangsan")).scalar_one().session_epoch += 1
        session.commit()
    assert again.get("/console/").status_code == 302
    bad = create_app(services=cw.services).test_client()
    answer = bad.post("/console/login", data={"username": "zhangsan", "password": "wrong-password",
                                              "csrf_token": csrf_of(bad, "/console/login")})
    assert "用户名或密码不正确" in answer.get_data(as_text=True)
    assert bad.get("/console/").status_code == 302


def test_form_posts_without_csrf_are_refused_and_nothing_changes(cw):
    client = signed_in(cw, "zhangsan")
    for path, data in ((f"/console/contacts/{cw.hot_lead}/stage", {"stage": "renewal_expansion"}),
                       (f"/console/leads/{cw.alert}/ack", {}), ("/console/logout", {})):
        answer = client.post(path, data=data)
        assert answer.status_code == 400
        assert "请求已失效" in answer.get_data(as_text=True)
        answer = client.post(path, data={**data, "csrf_token": "forged"})
        assert answer.status_code == 400
    login = create_app(services=cw.services).test_client().post("/console/login", data={"username": "zhangsan",
                                                                                        "password": PASSWORD})
    assert login.status_code == 400
    lead = client.get("/api/leads", headers=bearer(ADMIN_TOKEN)).get_json()["leads"]
    assert all(a["acked_at"] is None for a in lead)
    assert client.get(f"/api/contacts/{cw.hot_lead}",
                      headers=bearer(ADMIN_TOKEN)).get_json()["stage"]["key"] != "renewal_expansion"
    assert client.post(f"/console/contacts/{cw.hot_lead}/stage", data={
        "stage": "renewal_expansion",
        "csrf_token": csrf_of(client, f"/console/contacts/{cw.hot_lead}")}).status_code == 302
    assert client.get(f"/api/contacts/{cw.hot_lead}",
                      headers=bearer(ADMIN_TOKEN)).get_json()["stage"]["key"] == "renewal_expansion"


def test_members_sign_in_through_wecom_login_against_the_sandbox(cw):
    http = requests.Session()
    start = http.get(f"{cw.base_url}/console/wecom/login", allow_redirects=False)
    assert start.status_code == 302
    assert start.headers["Location"].startswith("https://login.work.weixin.qq.com/")
    state = re.search(r"state=([^&]+)", start.headers["Location"]).group(1)
    code = requests.post(f"{cw.world.sandbox.url}/sandbox/oauth/code", json={"userid": "wangwu"},
                         timeout=5).json()["code"]
    assert http.get(f"{cw.base_url}/console/wecom/callback", params={"code": code, "state": "forged"},
                    allow_redirects=False).status_code == 400
    start = http.get(f"{cw.base_url}/console/wecom/login", allow_redirects=False)
    state = re.search(r"state=([^&]+)", start.headers["Location"]).group(1)
    signed = http.get(f"{cw.base_url}/console/wecom/callback", params={"code": code, "state": state},
                      allow_redirects=False)
    assert signed.status_code == 302
    assert signed.headers["Location"].endswith("/console/")
    listing = http.get(f"{cw.base_url}/console/contacts").text
    assert f"/console/contacts/{cw.other_team}" in listing
    assert f"/console/contacts/{cw.hot_lead}" not in listing
    replay = requests.Session()
    start = replay.get(f"{cw.base_url}/console/wecom/login", allow_redirects=False)
    state = re.search(r"state=([^&]+)", start.headers["Location"]).group(1)
    assert replay.get(f"{cw.base_url}/console/wecom/callback", params={"code": code, "state": state},
                      allow_redirects=False).status_code == 401
    stranger = requests.post(f"{cw.world.sandbox.url}/sandbox/oauth/code", json={"userid": "nobody"}, timeout=5)
    assert stranger.status_code == 400


def test_password_guessing_is_slowed_to_ten_tries_a_minute(cw):
    client = create_app(services=cw.services).test_client()
    token = csrf_of(client, "/console/login")
    answers = [client.post("/console/login", data={"username": "zhangsan", "password": f"guess{i}",
                                                   "csrf_token": token},
                           environ_base={"REMOTE_ADDR": "198.51.100.9"}) for i in range(11)]
    assert [a.status_code for a in answers] == [200] * 10 + [429]
    assert "尝试次数过多" in answers[-1].get_data(as_text=True)
    right = client.post("/console/login", data={"username": "zhangsan", "password": PASSWORD, "csrf_token": token},
                        environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert right.status_code == 429, "even the right password waits out the minute"
    assert signed_in(cw, "zhangsan") is not None, "other addresses are not held back"
