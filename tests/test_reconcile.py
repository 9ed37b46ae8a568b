"""Nightly reconciliation against the sandbox over real HTTP: missed adds, missed losses and drifted stage tags."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.store import inbox
from app.store.content_cache import ContentStore
from app.store.models import Activity, Contact, Follow, OutboxAction, StageChange
from app.store.outbox import store_actions
from app.wecom.envelope import Envelope, parse_flat_xml
from app.wiring import build_services
from bots.effects import sync_tags
from jobs.periodic.reconcile import reconcile_contacts
from jobs.pipeline.actions import execute_action, run_action
from jobs.pipeline.events import run_event
from sandbox import SandboxConfig, SandboxServer
from tests.processes import run
from tests.settings import make_settings

CHANNELS = [("webinar_0302", "zhangsan", "need_arises"), ("site_qr_pricing", "lisi", "deeper_understanding"),
            ("expo_booth_a12", "wangwu", "need_arises")]
TABLES = (Contact, Follow, Activity, StageChange, OutboxAction)
JOURNEY = ContentStore().journey


class HeldQueues:
    """Queues that hold jobs for the test to run, keeping them off the Redis db other test runs share."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, object, tuple]] = []

    def enqueue(self, queue: str, func, *args, job_id: str | None = None) -> bool:
        self.jobs.append((queue, func, args))
        return True

    def enqueue_many(self, queue: str, func, calls: list[tuple[tuple, str]]) -> None:
        for args, job_id in calls:
            self.enqueue(queue, func, *args, job_id=job_id)

    def is_active(self, job_id: str) -> bool:
        return False


@pytest.fixture
def sandbox():
    server = SandboxServer.start(SandboxConfig())
    yield server
    server.stop()


def sandbox_settings(sandbox, database_url: str, redis_url: str | None):
    config = sandbox.state.config
    return make_settings(database_url, redis_url, wecom_corp_id=config.corp_id, wecom_token=config.callback_token,
                         wecom_aes_key=config.encoding_aes_key, wecom_secret=config.secrets[0],
                         wecom_api_base=sandbox.api_base)


@pytest.fixture
def services(sandbox, database_url, redis_url, redis):
    built = build_services(sandbox_settings(sandbox, database_url, redis_url))
    built.queues = HeldQueues()
    yield built
    built.close()


def run_held(services) -> list[str | None]:
    """Run the queued outbox actions the way a worker would, through run_action."""
    jobs, services.queues.jobs = services.queues.jobs, []
    assert all(func is execute_action for _, func, _ in jobs)
    return [run_action(services, args[0]) for _, _, args in jobs]


def stage_tags_on(state, ext: str, userid: str) -> set[str]:
    """The journey-stage tag names WeCom shows on one relation."""
    stage_names = {stage.name for stage in JOURNEY.stages}
    with state.core.lock:
        names = {state.tags.tags[t].name for t in state.contacts.tags_of(ext, userid)}
        return names & stage_names


def row_counts(services) -> dict[str, int]:
    with services.sessions() as session:
        return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def add_missed(state) -> dict[str, tuple[str, str, str]]:
    """Add a prospect through each channel without a callback: exactly a missed callback."""
    return {state.contacts.add_prospect(userid, state=key, emit=False)["external_userid"]: (key, userid, stage)
            for key, userid, stage in CHANNELS}


def test_missed_adds_are_created_staged_and_tagged_without_a_welcome(sandbox, services):
    state = sandbox.state
    missed = add_missed(state)
    report = reconcile_contacts(services)
    assert (report.staff, report.contacts_seen, report.contacts_created, report.relations_added) == (3, 3, 3, 3)
    assert (report.relations_lost, report.tags_repaired, report.actions_queued) == (0, 0, 3)
    assert state.core.calls_to("externalcontact/mark_tag") == 0
    with services.sessions() as session:
        contacts = {c.external_userid: c for c in session.execute(select(Contact)).scalars()}
        assert {ext: (c.channel_state, c.owner_userid, c.stage) for ext, c in contacts.items()} == missed
        for ext, contact in contacts.items():
            assert contact.name == state.contacts.contacts[ext].name
            assert contact.lead_status == "new"
            follow = session.execute(select(Follow).where(Follow.contact_id == contact.id)).scalar_one()
            relation = state.contacts.follows[(follow.userid, ext)]
            assert (follow.status, follow.changed_at) == ("active", relation.createtime)
            kinds = session.execute(select(Activity.kind).where(Activity.contact_id == contact.id)).scalars().all()
            assert kinds == ["reconciled"]
            change = session.execute(select(StageChange).where(StageChange.contact_id == contact.id)).scalar_one()
            assert change.to_value == contact.stage
            assert "夜间对账" in change.reason
        assert set(session.execute(select(OutboxAction.kind)).scalars()) == {"sync_tags"}
    assert run_held(services) == ["done"] * 3
    for ext, (_key, userid, stage) in missed.items():
        assert stage_tags_on(state, ext, userid) == {JOURNEY.stage(stage).name}
        assert state.contacts.welcome_messages_for(ext) == []
    webinar = next(ext for ext, m in missed.items() if m[0] == "webinar_0302")
    assert "线上直播" in {state.tags.tags[t].name for t in state.contacts.tags_of(webinar, "zhangsan")}


def test_an_add_event_processed_after_reconciliation_still_welcomes_inside_its_window(sandbox, services):
    """Reconciliation can record a relation before its add event leaves a backlog; the welcome still goes out."""
    state = sandbox.state
    ext = state.contacts.add_prospect("zhangsan", state="webinar_0302")["external_userid"]
    [delivery] = state.core.callbacks_sent
    assert reconcile_contacts(services).relations_added == 1
    run_held(services)
    with services.sessions() as session:
        event_id, _ = inbox.store_event(session.connection(),
                                        Envelope(delivery.xml, parse_flat_xml(delivery.xml.encode())))
        session.commit()
    assert run_event(services, event_id)
    assert len(state.contacts.welcome_messages_for(ext)) == 1
    with services.sessions() as session:
        welcome = session.execute(select(OutboxAction).where(OutboxAction.kind == "welcome")).scalar_one()
        follow = session.execute(select(Follow)).scalar_one()
    assert (welcome.status, follow.status) == ("done", "active")


def test_a_second_run_changes_nothing(sandbox, services):
    add_missed(sandbox.state)
    reconcile_contacts(services)
    run_held(services)
    before = row_counts(services)
    report = reconcile_contacts(services)
    assert (report.contacts_seen, report.contacts_created, report.relations_added) == (3, 0, 0)
    assert (report.relations_lost, report.tags_repaired, report.actions_queued) == (0, 0, 0)
    assert row_counts(services) == before
    assert services.queues.jobs == []


def test_relations_deleted_without_a_callback_are_marked_lost(sandbox, services):
    state = sandbox.state
    alone = state.contacts.add_prospect("zhangsan", state="webinar_0302", emit=False)["external_userid"]
    shared = state.contacts.add_prospect("lisi", state="site_qr_pricing", emit=False)["external_userid"]
    state.contacts.add_prospect("wangwu", external_userid=shared, emit=False)
    reconcile_contacts(services)
    run_held(services)
    state.contacts.delete_follow(alone, "zhangsan", emit=False)
    state.contacts.delete_follow(shared, "lisi", emit=False)
    report = reconcile_contacts(services)
    assert (report.relations_lost, report.contacts_created, report.relations_added) == (2, 0, 0)
    assert report.actions_queued == 0
    with services.sessions() as session:
        follows = {(f.contact_id, f.userid): (f.status, f.lost_reason)
                   for f in session.execute(select(Follow)).scalars()}
        lost, kept = (session.execute(select(Contact).where(Contact.external_userid == ext)).scalar_one()
                      for ext in (alone, shared))
        assert follows == {(lost.id, "zhangsan"): ("lost", "reconcile"), (kept.id, "lisi"): ("lost", "reconcile"),
                           (kept.id, "wangwu"): ("active", None)}
        assert (lost.lead_status, lost.nurture_stopped) == ("lost", "lost")
        assert (kept.lead_status, kept.owner_userid) == ("new", "wangwu")
        change = session.execute(select(StageChange).where(StageChange.contact_id == lost.id,
                                                           StageChange.axis == "lead_status")).scalar_one()
        assert (change.to_value, change.rule_id) == ("lost", "reconcile")
        assert "夜间对账" in change.reason
    assert reconcile_contacts(services).relations_lost == 0


def test_a_relation_added_again_after_a_missed_loss_comes_back(sandbox, services):
    state = sandbox.state
    ext = state.contacts.add_prospect("zhangsan", state="webinar_0302", emit=False)["external_userid"]
    reconcile_contacts(services)
    state.contacts.delete_follow(ext, "zhangsan", emit=False)
    reconcile_contacts(services)
    state.clock.advance(60)
    state.contacts.add_prospect("zhangsan", external_userid=ext, state="webinar_0302", emit=False)
    report = reconcile_contacts(services)
    assert (report.contacts_created, report.relations_added) == (0, 1)
    with services.sessions() as session:
        contact = session.execute(select(Contact)).scalar_one()
        follow = session.execute(select(Follow)).scalar_one()
        assert (contact.lead_status, contact.nurture_stopped, follow.status) == ("new", None, "active")


def test_drifted_stage_tags_get_a_sync_tags_action_and_end_with_exactly_one(sandbox, services):
    state = sandbox.state
    missed = add_missed(state)
    reconcile_contacts(services)
    run_held(services)
    by_name = {tag.name: tag.id for tag in state.tags.tags.values()}
    (bare, (_, bare_user, _)), (doubled, (_, doubled_user, doubled_stage)), _ = missed.items()
    state.contacts.edit_contact(bare_user, bare, remove_tags=tuple(state.contacts.tags_of(bare, bare_user)), emit=False)
    state.contacts.edit_contact(doubled_user, doubled, add_tags=(by_name["续约增购"],), emit=False)
    marks = state.core.calls_to("externalcontact/mark_tag")
    report = reconcile_contacts(services)
    assert (report.tags_repaired, report.actions_queued) == (2, 2)
    assert (report.contacts_created, report.relations_added, report.relations_lost) == (0, 0, 0)
    assert state.core.calls_to("externalcontact/mark_tag") == marks
    with services.sessions() as session:
        keys = session.execute(select(OutboxAction.key).where(OutboxAction.status == "pending")).scalars().all()
    assert len(keys) == 2
    assert all(key.endswith(f"reconcile:{report.run_id}") for key in keys)
    assert run_held(services) == ["done", "done"]
    assert stage_tags_on(state, bare, bare_user) == {"需求萌生"}
    assert stage_tags_on(state, doubled, doubled_user) == {JOURNEY.stage(doubled_stage).name}
    assert reconcile_contacts(services).tags_repaired == 0


def test_a_tag_sync_after_a_stage_tag_was_deleted_in_wecom_without_a_callback_creates_it_again(sandbox, services):
    state = sandbox.state
    missed = add_missed(state)
    reconcile_contacts(services)
    run_held(services)
    [gone] = [tag.id for tag in state.tags.tags.values() if tag.name == "续约增购"]
    state.tags.del_corp_tag({"tag_id": [gone]}, emit=False)
    (bare, (_, bare_user, _)), *_ = missed.items()
    with services.sessions() as session:
        follow = session.execute(select(Follow).join(Contact, Contact.id == Follow.contact_id)
                                 .where(Contact.external_userid == bare)).scalar_one()
        [(action_id, _)] = store_actions(session, [sync_tags(follow.id, follow.contact_id, "stage-check")])
        session.commit()
    assert run_action(services, action_id) == "done"
    assert stage_tags_on(state, bare, bare_user) == {"需求萌生"}
    assert [tag.id for tag in state.tags.tags.values() if tag.name == "续约增购"] not in ([], [gone])


def test_scrm_sync_contacts_prints_the_report(sandbox, database_url, tmp_path):
    missed = add_missed(sandbox.state)
    settings = sandbox_settings(sandbox, database_url, None)
    env = {"DATABASE_URL": database_url, "WECOM_CORP_ID": settings.wecom_corp_id, "WECOM_TOKEN": settings.wecom_token,
           "WECOM_AES_KEY": settings.wecom_aes_key, "WECOM_SECRET": settings.wecom_secret,
           "WECOM_API_BASE": settings.wecom_api_base, "LOG_LEVEL": "WARNING"}
    result = run(["sync", "contacts"], tmp_path, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "contacts seen: 3" in result.stdout
    assert "contacts created: 3" in result.stdout
    assert "relations lost: 0" in result.stdout
    assert "tags repaired: 0" in result.stdout
    for ext, (_, userid, stage) in missed.items():
        assert stage_tags_on(sandbox.state, ext, userid) == {JOURNEY.stage(stage).name}
    again = run(["sync", "contacts"], tmp_path, **env)
    assert again.returncode == 0
    assert "contacts created: 0" in again.stdout
    assert "actions queued: 0" in again.stdout
