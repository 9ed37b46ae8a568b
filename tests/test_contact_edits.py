"""A staff edit is recorded; the prospect's details are fetched again only once they are no longer fresh."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.store.models import Activity, OutboxAction

STAFF = "zhangsan"


def edit(world, ext: str) -> None:
    world.state.clock.advance(1)  # a later edit, not WeCom repeating the same callback
    now = int(world.state.clock.now())
    world.post({"CreateTime": now, "ChangeType": "edit_external_contact", "UserID": STAFF, "ExternalUserID": ext})
    world.drain()


def fetches_and_edits(world) -> tuple[int, int]:
    with world.services.sessions() as session:
        fetches = session.scalars(select(OutboxAction).where(OutboxAction.kind == "fetch_contact")).all()
        edits = session.scalars(select(Activity).where(Activity.kind == "edited")).all()
        assert all(a.status == "done" for a in fetches)
    return len(fetches), len(edits)


def test_edits_fetch_details_only_when_they_are_stale(world):
    added = world.state.contacts.add_prospect(STAFF, state="webinar_0302", emit=False)
    ext = added["external_userid"]
    world.post({"CreateTime": int(world.state.clock.now()), "ChangeType": "add_external_contact", "UserID": STAFF,
                "ExternalUserID": ext, "State": "webinar_0302", "WelcomeCode": added["welcome_code"]})
    world.drain()
    assert fetches_and_edits(world) == (1, 0)
    assert world.state.core.calls_to("externalcontact/get") == 1

    edit(world, ext)
    edit(world, ext)
    assert fetches_and_edits(world) == (1, 2)
    assert world.state.core.calls_to("externalcontact/get") == 1

    world.services.settings.details_fresh_for = timedelta(0)
    edit(world, ext)
    assert fetches_and_edits(world) == (2, 3)
    assert world.state.core.calls_to("externalcontact/get") == 2


def test_an_edit_of_a_contact_never_fetched_fetches(world):
    ext = world.state.contacts.add_prospect(STAFF, state="webinar_0302", emit=False)["external_userid"]
    edit(world, ext)
    assert fetches_and_edits(world) == (1, 1)
    assert world.state.core.calls_to("externalcontact/get") == 1
