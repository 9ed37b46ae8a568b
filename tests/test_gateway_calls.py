"""Typed calls against the sandbox: contacts with paging, tags, task results, Moments, messages, channels."""
from __future__ import annotations

import pytest

from app.wecom.results import ContactWay, TagGroup
from tests.gateway_helpers import prospect


def test_batch_get_by_user_pages_through_more_than_100_contacts(sb, gw):
    mine = {prospect(sb, "zhangsan")["external_userid"] for _ in range(130)}
    theirs = {prospect(sb, "lisi")["external_userid"] for _ in range(15)}
    first = gw.directory.batch_get_by_user(["zhangsan"], limit=100)
    assert len(first.contacts) == 100
    assert first.next_cursor
    rest = gw.directory.batch_get_by_user(["zhangsan"], cursor=first.next_cursor, limit=100)
    assert len(rest.contacts) == 30
    assert rest.next_cursor == ""
    rows = list(gw.directory.iter_contacts(["zhangsan", "lisi"], limit=50))
    assert {(r.follow.userid, r.external_userid) for r in rows} == \
        {("zhangsan", e) for e in mine} | {("lisi", e) for e in theirs}
    assert all(r.name for r in rows)


def test_get_contact_lists_every_follower_with_tags(sb, gw):
    ext = prospect(sb, "zhangsan")["external_userid"]
    sb.state.contacts.add_prospect("lisi", external_userid=ext, emit=False)
    group = gw.directory.add_corp_tag(["需求产生", "深度了解"], group_name="旅程阶段")
    assert isinstance(group, TagGroup)
    assert [t.name for t in group.tags] == ["需求产生", "深度了解"]
    gw.directory.mark_tag("zhangsan", ext, add=[group.tags[0].id])
    contact = gw.directory.get_contact(ext)
    assert contact.external_userid == ext
    assert {f.userid: f.tag_ids for f in contact.follow_users} == {"zhangsan": (group.tags[0].id,), "lisi": ()}
    assert sb.state.contacts.tags_of(ext, "zhangsan") == {group.tags[0].id}


def test_corp_tags_edit_and_delete(sb, gw):
    group = gw.directory.add_corp_tag(["A"], group_name="G")
    more = gw.directory.add_corp_tag(["B"], group_id=group.group_id)
    assert more.group_id == group.group_id
    gw.directory.edit_corp_tag(group.tags[0].id, name="A2")
    listed = gw.directory.list_corp_tags()
    assert [(g.group_name, sorted(t.name for t in g.tags)) for g in listed] == [("G", ["A2", "B"])]
    gw.directory.del_corp_tag(tag_ids=[more.tags[0].id])
    assert [t.name for t in gw.directory.list_corp_tags()[0].tags] == ["A2"]


def test_add_corp_tag_after_an_ambiguous_failure_returns_the_created_tags(sb, gw):
    sb.state.access.inject_fault("externalcontact/add_corp_tag", errcode=-1, after_effect=True)
    group = gw.directory.add_corp_tag(["X", "Y"], group_name="Stages")
    assert sorted(t.name for t in group.tags) == ["X", "Y"]
    assert len(sb.state.tags.tags) == 2


def test_mass_send_task_results_remind_and_cancel(sb, gw):
    exts = [prospect(sb)["external_userid"] for _ in range(3)]
    created = gw.sends.add_msg_template("zhangsan", exts + ["wmStranger"], "hello")
    assert created.fail_list == ("wmStranger",)
    assert [(s.userid, s.status) for s in gw.sends.get_groupmsg_task(created.msgid)] == [("zhangsan", 0)]
    gw.sends.remind_groupmsg_send(created.msgid)
    sb.state.campaigns.confirm_mass_task(created.msgid, "zhangsan")
    results = gw.sends.get_groupmsg_send_result(created.msgid, "zhangsan")
    assert sorted(r.external_userid for r in results) == sorted(exts)
    assert {r.status for r in results} == {1}
    assert [s.status for s in gw.sends.get_groupmsg_task(created.msgid)] == [2]
    gw.sends.cancel_groupmsg_send(created.msgid)
    assert sb.state.campaigns.mass_tasks[created.msgid].cancelled


def test_moment_task_and_its_result(sb, gw):
    tag = gw.directory.add_corp_tag(["VIP"], group_name="Segments").tags[0]
    created = gw.moments.add_moment_task("新品发布", [{"msgtype": "link", "link": {"title": "t", "url": "https://x"}}],
                                 sender_userids=["zhangsan", "nobody"], tag_ids=[tag.id])
    result = gw.moments.get_moment_task_result(created.jobid)
    job = sb.state.moments.moment_tasks[created.jobid]
    assert (result.status, result.moment_id, result.invalid_senders) == (3, job.moment_id, ("nobody",))
    assert job.tag_list == [tag.id]
    assert [t["jobid"] for t in sb.state.moments.moment_tasks_for("zhangsan")] == [created.jobid]


@pytest.mark.parametrize(("msgtype", "content"), [
    ("text", "新线索：王女士"),
    ("markdown", {"content": "**热线索** 王女士"}),
    ("textcard", {"title": "热线索", "description": "王女士", "url": "https://scrm.local/c/1"}),
])
def test_app_message_to_staff(sb, gw, msgtype, content):
    sent = gw.alerts.send_app_message(["zhangsan", "ghost"], msgtype, content)
    assert sent.invalid_users == ("ghost",)
    assert sent.msgid
    assert [m["msgtype"] for m in sb.state.messaging.app_messages_for("zhangsan")] == [msgtype]


def test_robot_message_needs_no_token(sb, gw):
    key = sb.state.config.robot_keys[0]
    gw.alerts.send_robot(key, "markdown", "**日报** 3 条新线索")
    assert [m["markdown"]["content"] for m in sb.state.messaging.robot_messages(key)] == ["**日报** 3 条新线索"]
    assert sb.state.core.calls_to("gettoken") == 0


def test_contact_way(sb, gw):
    way = gw.channels.add_contact_way("spring-fair", ["zhangsan"])
    assert isinstance(way, ContactWay)
    assert way.qr_code
    assert sb.state.contacts.contact_ways[way.config_id]["state"] == "spring-fair"
    assert sb.state.contacts.contact_ways[way.config_id]["type"] == 1
