"""Content versions: a validated set of calendar files stored whole, with its hash, who loaded it and when."""
from __future__ import annotations

import base64
import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.store.models import ContentVersion, utcnow
from content.calendar import Calendar
from content.calendars import load_calendar


@dataclass(frozen=True)
class StoredVersion:
    """A content version as loaded: its row id, hash and calendar."""

    id: int
    content_hash: str
    calendar: Calendar
    created: bool


def files_hash(files: dict[str, bytes]) -> str:
    """Hash file names and bytes in a stable order."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()


def store_version(session: Session, paths: Sequence[str | Path], loaded_by: str, journey=None, channels=None,
                  activate: bool = True, now=None) -> StoredVersion:
    """Validate the files (ContentError if anything is wrong: nothing stored), then store them as a version."""
    calendar = load_calendar([Path(p) for p in paths], journey=journey, channels=channels)
    files = {Path(p).name: Path(p).read_bytes() for p in paths}
    digest = files_hash(files)
    existing = session.execute(select(ContentVersion).where(ContentVersion.content_hash == digest)).scalars().first()
    if existing is not None:
        if activate:
            _activate(session, existing.id)
        return StoredVersion(existing.id, digest, calendar, created=False)
    row = ContentVersion(content_hash=digest, loaded_by=loaded_by[:64], loaded_at=now or utcnow(), active=False,
                         files={name: base64.b64encode(data).decode() for name, data in files.items()})
    session.add(row)
    session.flush()
    if activate:
        _activate(session, row.id)
    return StoredVersion(row.id, digest, calendar, created=True)


def _activate(session: Session, version_id: int) -> None:
    session.execute(update(ContentVersion).where(ContentVersion.id != version_id).values(active=False))
    session.execute(update(ContentVersion).where(ContentVersion.id == version_id).values(active=True))


def activate(session: Session, version_id: int) -> None:
    """Make a stored version the one the planner uses."""
    if session.get(ContentVersion, version_id) is None:
        raise LookupError(f"no content version {version_id}")
    _activate(session, version_id)


def calendar_of(row: ContentVersion, journey=None, channels=None) -> Calendar:
    """Rebuild a version's calendar from its stored files."""
    with tempfile.TemporaryDirectory(prefix="scrm-content-") as tmp:
        paths = []
        for name, data in row.files.items():
            path = Path(tmp) / name
            path.write_bytes(base64.b64decode(data))
            paths.append(path)
        return load_calendar(sorted(paths), journey=journey, channels=channels)


def active_version(session: Session) -> ContentVersion | None:
    """The version the planner uses now, if any."""
    return session.execute(select(ContentVersion).where(ContentVersion.active.is_(True))).scalars().first()


def diff(old: Calendar, new: Calendar) -> list[str]:
    """Describe what changed between two calendars, step by step."""
    lines: list[str] = []
    old_seqs, new_seqs = {s.key: s for s in old.sequences}, {s.key: s for s in new.sequences}
    lines += [f"- removed sequence {seq}" for seq in sorted(old_seqs.keys() - new_seqs.keys())]
    lines += [f"+ added sequence {seq}" for seq in sorted(new_seqs.keys() - old_seqs.keys())]
    for seq in sorted(old_seqs.keys() & new_seqs.keys()):
        changed = [name for name in ("name", "enroll", "exits", "starts_on", "cycle_days")
                   if getattr(old_seqs[seq], name) != getattr(new_seqs[seq], name)]
        if changed:
            lines.append(f"~ changed sequence {seq}: {', '.join(changed)}")
    old_steps = {(s.key, st.id): st for s in old.sequences for st in s.steps}
    new_steps = {(s.key, st.id): st for s in new.sequences for st in s.steps}
    for key in sorted(old_steps.keys() - new_steps.keys()):
        lines.append(f"- removed step {key[0]}/{key[1]}")
    for key in sorted(new_steps.keys() - old_steps.keys()):
        lines.append(f"+ added step {key[0]}/{key[1]} ({new_steps[key].touchpoint}, day {new_steps[key].timing.day})")
    for key in sorted(old_steps.keys() & new_steps.keys()):
        before, after = old_steps[key], new_steps[key]
        changed = [name for name in ("touchpoint", "timing", "text", "attachments", "audience", "executor", "exits")
                   if getattr(before, name) != getattr(after, name)]
        if changed:
            lines.append(f"~ changed step {key[0]}/{key[1]}: {', '.join(changed)}")
    old_posts, new_posts = {p.id: p for p in old.moments}, {p.id: p for p in new.moments}
    lines += [f"- removed Moments post {i}" for i in sorted(old_posts.keys() - new_posts.keys())]
    lines += [f"+ added Moments post {i} ({new_posts[i].on})" for i in sorted(new_posts.keys() - old_posts.keys())]
    lines += [f"~ changed Moments post {i}" for i in sorted(old_posts.keys() & new_posts.keys())
              if _post_fields(old_posts[i]) != _post_fields(new_posts[i])]
    return lines


def _post_fields(post) -> tuple:
    return (post.on, post.at, post.text, post.attachments, post.audience, post.executors)
