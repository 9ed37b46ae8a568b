"""The contacts API: a contact with its timeline, stages set by hand, milestones from sales, WeCom tags following."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.store.models import Contact, Tag
from demo.report import stage_tag_counts
from tests.settings import ADMIN_TOKEN

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def new_contact(world, state: str = "site_qr_pricing", userid: str = "lisi") -> int:
    added = world.state.contacts.add_prospect(userid, state=state, emit=False)
    world.post({"CreateTime": int(world.state.clock.now()), "ChangeType": "add_external_contact", "UserID": userid,
                "ExternalUserID": added["external_userid"], "State": state, "WelcomeCode": added["welcome_code"]})
    world.drain()
    with world.services.sessions() as session:
        return session.execute(select(Contact.id)
                               .where(Contact.external_userid == added["external_userid"])).scalar_one()


def stage_tag_names(world, contact: dict) -> set[str]:
    relation = contact["relations"][0]
    with world.services.sessions() as session:
        names = dict(session.execute(select(Tag.tag_id, Tag.name)).all())
    tag_ids = world.state.contacts.tags_of(contact["external_userid"], relation["userid"])
    return {names[t] for t in tag_ids if t in names}


def test_contact_comes_with_its_timeline(world):
    contact_id = new_contact(world)
    assert world.client.get(f"/api/contacts/{contact_id}").status_code == 401
    assert world.client.get("/api/contacts/999999", headers=AUTH).status_code == 404
    body = world.client.get(f"/api/contacts/{contact_id}", headers=AUTH).get_json()
    assert body["channel"] == "site_qr_pricing"
    assert body["owner"] == "lisi"
    assert body["stage"]["key"] == "deeper_understanding"
    assert body["stage"]["name"] == "深入认知"
    assert body["name"], "details were fetched from WeCom"
    types = [item["type"] for item in body["timeline"]]
    assert {"added", "stage_change", "send", "tags"} <= set(types)
    reasons = [item["summary"] for item in body["timeline"] if item["type"] == "stage_change"]
    assert any("官网价格页" in reason for reason in reasons)
    sends = {item["detail"]["kind"]: item["detail"]["status"] for item in body["timeline"] if item["type"] == "send"}
    assert sends == {"welcome": "done", "fetch_contact": "done", "sync_tags": "done"}
    assert stage_tag_names(world, body) == {"深入认知", "官网", "价格页"}


def test_staff_sets_a_stage_by_hand_and_wecom_follows(world):
    contact_id = new_contact(world)
    response = world.client.post(f"/api/contacts/{contact_id}/stage", headers=AUTH,
                                 json={"stage": "product_selection", "by": "lisi", "note": "客户要了方案"})
    assert response.status_code == 200
    [change] = response.get_json()["changes"]
    assert change == {"axis": "stage", "from": "deeper_understanding", "to": "product_selection",
                      "reason": "lisi 手动设置阶段为「选择产品」：客户要了方案"}
    world.drain()
    body = world.client.get(f"/api/contacts/{contact_id}", headers=AUTH).get_json()
    assert body["stage"]["key"] == "product_selection"
    assert stage_tag_names(world, body) == {"选择产品", "官网", "价格页"}
    assert stage_tag_counts(world.services, world.state) == {1: 1}


def test_signed_by_sales_moves_to_onboarding_as_customer(world):
    contact_id = new_contact(world, state="webinar_0302", userid="zhangsan")
    response = world.client.post(f"/api/contacts/{contact_id}/signals", headers=AUTH,
                                 json={"kind": "signed", "by": "zhangsan"})
    assert response.status_code == 200
    changes = {c["axis"]: (c["from"], c["to"]) for c in response.get_json()["changes"]}
    assert changes == {"stage": ("need_arises", "onboarding"), "lead_status": ("new", "customer")}
    assert all("销售登记已签约" in c["reason"] and "staff:zhangsan" in c["reason"]
               for c in response.get_json()["changes"])
    world.drain()
    assert stage_tag_names(world, world.client.get(f"/api/contacts/{contact_id}", headers=AUTH).get_json()) == {
        "上线使用", "线上直播"}


@pytest.mark.parametrize(("path", "body"), [
    ("stage", {"stage": "no_such_stage"}),
    ("stage", {}),
    ("signals", {"kind": "replied"}),
])
def test_bad_requests_change_nothing(world, path, body):
    contact_id = new_contact(world)
    response = world.client.post(f"/api/contacts/{contact_id}/{path}", headers=AUTH, json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]
    contact = world.client.get(f"/api/contacts/{contact_id}", headers=AUTH).get_json()
    assert contact["stage"]["key"] == "deeper_understanding"
