"""Moments tasks: attachment rules, results, confirmation and the daily visibility limits."""
from __future__ import annotations

IMAGE = {"msgtype": "image", "image": {"media_id": "MEDIA"}}
VIDEO = {"msgtype": "video", "video": {"media_id": "VIDEO"}}
LINK = {"msgtype": "link", "link": {"title": "白皮书", "url": "https://example.com", "media_id": "COVER"}}


def test_attachment_rules(sandbox, api):
    def code(attachments):
        return api.post("externalcontact/add_moment_task", {"text": {"content": "新品发布"},
                                                            "attachments": attachments})["errcode"]
    assert code([IMAGE] * 9) == 0
    assert code([VIDEO]) == 0
    assert code([LINK]) == 0
    assert code([IMAGE] * 10) == 41064
    assert code([VIDEO, VIDEO]) == 41064
    assert code([LINK, LINK]) == 41064
    assert code([IMAGE, VIDEO]) == 40058
    assert code([IMAGE, LINK]) == 40058
    assert code([{"msgtype": "file", "file": {"media_id": "F"}}]) == 41065
    assert api.post("externalcontact/add_moment_task", {"text": {"content": "字" * 2001}})["errcode"] == 45002
    assert api.post("externalcontact/add_moment_task", {"text": {"content": "字" * 2000}})["errcode"] == 0


def test_job_result_and_confirmation(sandbox, api):
    state = sandbox.state
    etag = state.tags.add_corp_tag({"group_name": "旅程", "tag": [{"name": "深入了解"}]})["tag"][0]["id"]
    tagged = state.contacts.add_prospect("zhangsan")["external_userid"]
    untagged = state.contacts.add_prospect("zhangsan")["external_userid"]
    state.contacts.edit_contact("zhangsan", tagged, add_tags=(etag,), emit=False)
    jobid = api.post("externalcontact/add_moment_task", {
        "text": {"content": "客户案例"},
        "visible_range": {"sender_list": {"user_list": ["zhangsan", "ghost"]},
                          "external_contact_list": {"tag_list": [etag, "etnope"]}}})["jobid"]
    result = api.get("externalcontact/get_moment_task_result", jobid=jobid)
    assert result["status"] == 3
    assert result["result"]["invalid_sender_list"]["user_list"] == ["ghost"]
    assert result["result"]["invalid_external_contact_list"]["tag_list"] == ["etnope"]
    moment_id = result["result"]["moment_id"]
    assert [t["jobid"] for t in state.moments.moment_tasks_for("zhangsan")] == [jobid]
    assert state.moments.moments_seen_by(tagged) == []

    outcome = state.moments.confirm_moment_task(jobid, "zhangsan")
    assert outcome["published"]
    assert outcome["visible_to"] == 1
    assert state.moments.moments_seen_by(tagged) == [moment_id]
    assert state.moments.moments_seen_by(untagged) == []
    task = api.post("externalcontact/get_moment_task", {"moment_id": moment_id})
    assert task["task_list"] == [{"userid": "zhangsan", "publish_status": 1}]
    t = int(state.clock.now())
    listed = api.post("externalcontact/get_moment_list", {"start_time": t - 60, "end_time": t + 60})
    assert [m["moment_id"] for m in listed["moment_list"]] == [moment_id]


def test_customer_sees_at_most_n_posts_a_day(start_sandbox):
    sandbox = start_sandbox(moments_visible_per_day=3, moments_per_staff_per_day=10)
    state = sandbox.state
    ext = state.contacts.add_prospect("zhangsan")["external_userid"]
    for i in range(4):
        jobid = state.moments.add_moment_task({"text": {"content": f"第{i}条"},
                                       "visible_range": {"sender_list": {"user_list": ["zhangsan"]}}})["jobid"]
        state.moments.confirm_moment_task(jobid, "zhangsan")
    assert len(state.moments.moments_seen_by(ext)) == 3
    assert state.core.violations == {"moment_visibility": 1}


def test_staff_post_cap_and_cancel(start_sandbox):
    sandbox = start_sandbox(moments_per_staff_per_day=1)
    state = sandbox.state
    one = {"text": {"content": "x"}, "visible_range": {"sender_list": {"user_list": ["lisi"]}}}
    first, second, third = (state.moments.add_moment_task(one)["jobid"] for _ in range(3))
    assert state.moments.confirm_moment_task(first, "lisi")["published"] is True
    assert state.moments.confirm_moment_task(second, "lisi")["published"] is False
    assert state.core.violations == {"moment_staff_cap": 1}
    state.moments.cancel_moment({"moment_id": state.moments.moment_tasks[third].moment_id})
    state.clock.advance(86400)
    assert state.moments.confirm_moment_task(third, "lisi")["published"] is False
