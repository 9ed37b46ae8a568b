"""The pure half of reconciliation: which relations to add, re-tag or mark lost, and how to chunk staff."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from app.store.models.contacts import ACTIVE, LOST

MAX_USERS = 100
MAX_RELATIONS = 20_000
ADD, TAGS = "add", "tags"


@dataclass(frozen=True)
class Listed:
    """One relation as WeCom lists it."""

    external_userid: str
    userid: str
    state: str = ""
    createtime: int = 0
    tag_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Known:
    """One relation as we store it, with its contact's stage."""

    follow_id: int
    contact_id: int
    external_userid: str
    userid: str
    status: str
    changed_at: int
    stage: str


@dataclass(frozen=True)
class Repair:
    """One fix for a listed relation: add it (ADD) or make it carry exactly its stage tag (TAGS)."""

    kind: str
    listed: Listed
    known: Known | None = None


@dataclass
class ReconcileReport:
    """What one run saw and repaired."""

    run_id: str
    staff: int = 0
    contacts_seen: int = 0
    contacts_created: int = 0
    relations_added: int = 0
    relations_lost: int = 0
    tags_repaired: int = 0
    actions_queued: int = 0

    def lines(self) -> list[str]:
        """Describe the run, one figure a line."""
        return [f"{name.replace('_', ' ')}: {value}" for name, value in vars(self).items()]


def plan_repairs(ours: Mapping[tuple[str, str], Known], theirs: Iterable[Listed],
                 stage_tags: Mapping[str, str]) -> list[Repair]:
    """Decide the fixes for relations WeCom lists: missing or newer than our loss, or with the wrong stage tag."""
    stage_ids = frozenset(stage_tags.values())
    repairs = []
    for row in theirs:
        known = ours.get((row.external_userid, row.userid))
        if known is None or (known.status == LOST and row.createtime > known.changed_at):
            repairs.append(Repair(ADD, row, known))
        elif known.status == ACTIVE and row.tag_ids & stage_ids != {stage_tags.get(known.stage)}:
            repairs.append(Repair(TAGS, row, known))
    return repairs


def plan_lost(live: Iterable[Known], listed: set[str], started: float) -> list[Known]:
    """Our live relations of one staff member that WeCom no longer lists and that predate the listing."""
    return [k for k in live if k.status != LOST and k.external_userid not in listed and k.changed_at < started]


def chunk_userids(userids: Sequence[str], known_counts: Mapping[str, int], max_users: int = MAX_USERS,
                  max_relations: int = MAX_RELATIONS) -> list[list[str]]:
    """Split staff into batch/get_by_user chunks of ≤ max_users whose known relations stay under a budget."""
    chunks: list[list[str]] = [[]]
    load = 0
    for userid in userids:
        count = known_counts.get(userid, 0)
        if chunks[-1] and (len(chunks[-1]) >= max_users or load + count > max_relations):
            chunks.append([])
            load = 0
        chunks[-1].append(userid)
        load += count
    return [chunk for chunk in chunks if chunk]
