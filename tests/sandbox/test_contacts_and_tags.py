"""Contacts, batch reads, corp tags, mark_tag, contact ways and welcome messages."""
from __future__ import annotations


def test_prospect_shows_up_in_list_get_and_batch(sandbox, api):
    state = sandbox.state
    first = state.contacts.add_prospect("zhangsan", state="webinar_0302", name="王伟")
    second = state.contacts.add_prospect("zhangsan", state="site_qr")
    state.contacts.add_prospect("lisi", external_userid=first["external_userid"])
    assert api.get("externalcontact/list", userid="zhangsan")["external_userid"] == [
        first["external_userid"], second["external_userid"]]
    detail = api.get("externalcontact/get", external_userid=first["external_userid"])
    assert detail["external_contact"]["name"] == "王伟"
    assert [f["userid"] for f in detail["follow_user"]] == ["zhangsan", "lisi"]
    assert detail["follow_user"][0]["state"] == "webinar_0302"

    page1 = api.post("externalcontact/batch/get_by_user", {"userid_list": ["zhangsan", "lisi"], "limit": 2})
    page2 = api.post("externalcontact/batch/get_by_user",
                     {"userid_list": ["zhangsan", "lisi"], "limit": 2, "cursor": page1["next_cursor"]})
    rows = page1["external_contact_list"] + page2["external_contact_list"]
    assert page2["next_cursor"] == ""
    assert len(rows) == 3
    assert rows[0]["follow_info"]["state"] == "webinar_0302"
    assert rows[0]["follow_info"]["tag_id"] == []
    legacy = api.post("externalcontact/batch/get_by_user", {"userid": "lisi"})
    assert [r["external_contact"]["external_userid"] for r in legacy["external_contact_list"]] == [
        first["external_userid"]]


def test_deleted_and_re_added_relations_show_up_once_in_their_new_place(sandbox, api):
    state = sandbox.state
    first = state.contacts.add_prospect("zhangsan")["external_userid"]
    second = state.contacts.add_prospect("zhangsan")["external_userid"]
    state.contacts.add_prospect("lisi", external_userid=first)
    state.contacts.delete_follow(first, "zhangsan")
    assert [f["userid"] for f in api.get("externalcontact/get", external_userid=first)["follow_user"]] == ["lisi"]
    assert api.get("externalcontact/list", userid="zhangsan")["external_userid"] == [second]
    state.clock.advance(60)
    state.contacts.add_prospect("zhangsan", external_userid=first)
    state.contacts.staff_delete_contact("lisi", first)
    assert [f["userid"] for f in api.get("externalcontact/get", external_userid=first)["follow_user"]] == ["zhangsan"]
    assert api.get("externalcontact/list", userid="zhangsan")["external_userid"] == [second, first]
    assert api.get("externalcontact/list", userid="lisi")["external_userid"] == []
    state.contacts.staff_delete_contact("zhangsan", first)
    assert api.get("externalcontact/get", external_userid=first)["errcode"] == 84061


def test_unknown_ids_and_limits(sandbox, api):
    assert api.get("externalcontact/get", external_userid="wmnobody")["errcode"] == 40096
    assert api.get("externalcontact/list", userid="ghost")["errcode"] == 40003
    too_many = {"userid_list": ["zhangsan"] * 101}
    assert api.post("externalcontact/batch/get_by_user", too_many)["errcode"] == 40058
    assert api.post("externalcontact/batch/get_by_user",
                    {"userid_list": ["zhangsan"], "limit": 101})["errcode"] == 40058


def test_corp_tags_and_mark_tag(sandbox, api):
    state = sandbox.state
    ext = state.contacts.add_prospect("zhangsan")["external_userid"]
    created = api.post("externalcontact/add_corp_tag",
                       {"group_name": "客户旅程", "tag": [{"name": "需求产生"}, {"name": "深入了解"}]})
    tag_a, tag_b = (t["id"] for t in created["tag_group"]["tag"])
    again = api.post("externalcontact/add_corp_tag", {"group_name": "客户旅程", "tag": [{"name": "需求产生"}]})
    assert again["errcode"] == 40071
    listed = api.post("externalcontact/get_corp_tag_list", {})["tag_group"]
    assert [t["name"] for t in listed[0]["tag"]] == ["需求产生", "深入了解"]

    assert api.post("externalcontact/mark_tag", {"userid": "zhangsan", "external_userid": ext,
                                                 "add_tag": [tag_a]})["errcode"] == 0
    assert state.contacts.tags_of(ext, "zhangsan") == {tag_a}
    assert api.post("externalcontact/mark_tag", {"userid": "lisi", "external_userid": ext,
                                                 "add_tag": [tag_a]})["errcode"] == 84061
    assert api.post("externalcontact/mark_tag", {"userid": "zhangsan", "external_userid": ext,
                                                 "add_tag": ["etunknown"]})["errcode"] == 40068
    api.post("externalcontact/mark_tag", {"userid": "zhangsan", "external_userid": ext,
                                          "add_tag": [tag_b], "remove_tag": [tag_a]})
    assert state.contacts.tags_of(ext, "zhangsan") == {tag_b}
    assert state.core.callbacks_sent[-1].event == "add_external_contact"

    assert api.post("externalcontact/edit_corp_tag", {"id": tag_b, "name": "产品选型"})["errcode"] == 0
    detail = api.get("externalcontact/get", external_userid=ext)
    assert detail["follow_user"][0]["tags"][0]["tag_name"] == "产品选型"
    assert api.post("externalcontact/del_corp_tag", {"tag_id": [tag_a, tag_b]})["errcode"] == 0
    assert api.post("externalcontact/get_corp_tag_list", {})["tag_group"] == []
    assert state.contacts.tags_of(ext, "zhangsan") == set()


def test_contact_way_state_limit(sandbox, api):
    ok = api.post("externalcontact/add_contact_way", {"type": 1, "scene": 2, "state": "webinar_0302",
                                                     "user": ["zhangsan"]})
    assert ok["errcode"] == 0
    assert ok["config_id"]
    assert ok["qr_code"]
    assert api.post("externalcontact/add_contact_way", {"type": 1, "scene": 2, "state": "x" * 31,
                                                       "user": ["zhangsan"]})["errcode"] == 40058
    assert api.post("externalcontact/add_contact_way", {"type": 2, "scene": 2,
                                                       "user": ["ghost"]})["errcode"] == 60111


def test_welcome_code_works_once_within_its_window(sandbox, api):
    state = sandbox.state
    code = state.contacts.add_prospect("zhangsan", state="webinar")["welcome_code"]
    body = {"welcome_code": code, "text": {"content": "您好，我是张三"}}
    assert api.post("externalcontact/send_welcome_msg", body)["errcode"] == 0
    assert api.post("externalcontact/send_welcome_msg", body)["errcode"] == 41051
    late = state.contacts.add_prospect("lisi")
    state.clock.advance(20.5)
    assert api.post("externalcontact/send_welcome_msg",
                    {**body, "welcome_code": late["welcome_code"]})["errcode"] == 41050
    assert api.post("externalcontact/send_welcome_msg", {**body, "welcome_code": "made-up"})["errcode"] == 41050
    assert api.post("externalcontact/send_welcome_msg", {"text": {"content": "x"}})["errcode"] == 41049
    fresh = state.contacts.add_prospect("lisi")
    ten = [{"msgtype": "image", "image": {"pic_url": "https://example.com/a.png"}}] * 10
    assert api.post("externalcontact/send_welcome_msg", {**body, "welcome_code": fresh["welcome_code"],
                                                         "attachments": ten})["errcode"] == 41064
    assert [m["text"] for m in state.contacts.welcome_messages_for(fresh["external_userid"])] == []
    assert [m["text"] for m in state.contacts.welcome_messages_for(
        state.contacts.welcome_codes[code].external_userid)] == ["您好，我是张三"]


def test_console_welcome_staff_get_no_code(start_sandbox):
    sandbox = start_sandbox(console_welcome_staff=("wangwu",))
    assert sandbox.state.contacts.add_prospect("wangwu")["welcome_code"] is None
    assert sandbox.state.core.callbacks_sent[-1].xml.find("WelcomeCode") == -1
