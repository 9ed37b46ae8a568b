"""Moments likes and comments read back from WeCom become score events, timeline entries and, past SQL, alerts."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.store.lead_scores import record_score_event
from app.store.models import Activity, Contact, LeadAlert, ScoreEventRow
from app.wecom.errors import WeComError
from jobs.nurture.moment_interactions import poll_interactions
from jobs.nurture.results import poll_results
from tests.sandbox_tasks import STAFF, moment_task, prospects, sandbox_now

pytestmark = pytest.mark.world(staff=STAFF, sync_staff=True)


def contacts_for(world, externals: list[str], owner: str) -> dict[str, int]:
    with world.services.sessions() as session:
        rows = [Contact(external_userid=ext, stage="need_arises", owner_userid=owner, name=f"客户{i}")
                for i, ext in enumerate(externals)]
        session.add_all(rows)
        session.commit()
        return {row.external_userid: row.id for row in rows}


def published_post(world, text: str = "【客户案例】某 SaaS 公司用私域把获客成本降了 40%") -> tuple[str, object]:
    now = sandbox_now(world)
    _, jobid = moment_task(world, ["zhangsan"], now, text=text)
    world.state.moments.confirm_moment_task(jobid, "zhangsan")
    poll_results(world.services, now + timedelta(minutes=5))
    return world.state.moments.moment_tasks[jobid].moment_id, now


def test_likes_and_comments_score_once_and_appear_on_the_timeline(world):
    a, b = prospects(world, "zhangsan", 2)
    ids = contacts_for(world, [a, b], "zhangsan")
    moment_id, now = published_post(world)
    world.state.moments.interact_moment(moment_id, a, "like")
    world.state.moments.interact_moment(moment_id, b, "comment")
    world.state.clock.advance(60)
    world.state.moments.interact_moment(moment_id, b, "comment")

    first = poll_interactions(world.services, now + timedelta(hours=1))
    again = poll_interactions(world.services, now + timedelta(hours=2))

    assert (first.posts, first.recorded, first.errors) == (1, 3, 0)
    assert (again.recorded, again.hot_leads) == (0, 0)
    with world.services.sessions() as session:
        kinds = sorted((row.contact_id, row.kind, row.weight)
                       for row in session.execute(select(ScoreEventRow)).scalars())
        assert kinds == sorted([(ids[a], "moment_like", 2.0), (ids[b], "moment_comment", 2.0),
                                (ids[b], "moment_comment", 2.0)])
        timeline = [act.summary for act in session.execute(select(Activity)
                                                           .where(Activity.contact_id == ids[a])).scalars()]
        assert timeline == ["点赞了朋友圈：【客户案例】某 SaaS 公司用私域把获客成本降了 40%"]
        assert session.get(Contact, ids[b]).score == pytest.approx(4.0, abs=0.01)


def test_an_interaction_that_crosses_sql_makes_an_explained_hot_lead(world):
    (a,) = prospects(world, "zhangsan", 1)
    ids = contacts_for(world, [a], "zhangsan")
    moment_id, now = published_post(world)
    with world.services.sessions() as session:
        record_score_event(session, session.get(Contact, ids[a]), "reply", 78.0, None, now,
                           journey=world.services.content.journey)
        session.commit()
    world.state.moments.interact_moment(moment_id, a, "comment")

    report = poll_interactions(world.services, now + timedelta(hours=1))
    world.drain()

    assert report.hot_leads == 1
    with world.services.sessions() as session:
        contact = session.get(Contact, ids[a])
        assert (contact.lead_status, contact.nurture_stopped) == ("sql", "hot_lead")
        alert = session.execute(select(LeadAlert)).scalar_one()
        assert alert.explanation["intent"] == "线索分达标"
        assert alert.trigger == "moments"
    [card] = world.state.messaging.app_messages_for("zhangsan")
    assert "线索分达标" in card["textcard"]["title"]
    assert "评论了朋友圈" in card["textcard"]["description"]


def test_an_unknown_post_is_an_error_counted_not_a_crash(world):
    moment_id, now = published_post(world)
    world.state.moments.moment_tasks.clear()
    report = poll_interactions(world.services, now + timedelta(hours=1))
    assert (report.posts, report.errors, report.recorded) == (1, 1, 0)
    with pytest.raises(WeComError):
        world.services.gateway.moments.get_moment_comments(moment_id, "zhangsan")
