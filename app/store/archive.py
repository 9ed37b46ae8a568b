"""Durable archive state: the per-corp cursor (locked while a batch is stored) and the chat_messages rows."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.store.models import ArchiveCursor, ArchivedMessage, utcnow
from app.wecom.archive.reader import ChatMessage

EXTERNAL_PREFIXES = ("wm", "wo")
CHUNK = 200


def is_external(userid: str) -> bool:
    """Tell whether an archive party is an external contact (WeCom external userids start with wm or wo)."""
    return userid.startswith(EXTERNAL_PREFIXES)


def message_row(msg: ChatMessage) -> dict[str, Any] | None:
    """Return the chat_messages row for a 1:1 staff–prospect message; None for anything else (kept out)."""
    if msg.action != "send" or msg.roomid or len(msg.tolist) != 1:
        return None
    sender, receiver = msg.sender, msg.tolist[0]
    if is_external(sender) == is_external(receiver):
        return None
    inbound = is_external(sender)
    return {"msgid": msg.msgid, "seq": msg.seq, "external_userid": sender if inbound else receiver,
            "userid": receiver if inbound else sender, "direction": "in" if inbound else "out",
            "msgtime": msg.msgtime, "msgtype": msg.msgtype, "text": msg.text, "created_at": utcnow()}


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def lock_cursor(session: Session, corp_id: str) -> int:
    """Create the corp's cursor if absent, lock it for this transaction and return its last_seq.

    The first statement is a write, so SQLite takes its write lock here too; a concurrent pull waits.
    """
    insert = _insert(session)
    session.execute(insert(ArchiveCursor).values(corp_id=corp_id, last_seq=0, updated_at=utcnow())
                    .on_conflict_do_nothing(index_elements=["corp_id"]))
    return session.execute(select(ArchiveCursor.last_seq).where(ArchiveCursor.corp_id == corp_id)
                           .with_for_update()).scalar_one()


def advance_cursor(session: Session, corp_id: str, last_seq: int) -> None:
    """Move the corp's cursor to `last_seq` (never backwards)."""
    session.execute(update(ArchiveCursor).where(ArchiveCursor.corp_id == corp_id, ArchiveCursor.last_seq < last_seq)
                    .values(last_seq=last_seq, updated_at=utcnow()))


def insert_messages(session: Session, rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """INSERT … ON CONFLICT (msgid) DO NOTHING; return (id, direction) of the rows actually inserted."""
    insert = _insert(session)
    created: list[tuple[int, str]] = []
    for start in range(0, len(rows), CHUNK):
        stmt = (insert(ArchivedMessage).values(rows[start:start + CHUNK])
                .on_conflict_do_nothing(index_elements=["msgid"])
                .returning(ArchivedMessage.id, ArchivedMessage.direction))
        created += [(row.id, row.direction) for row in session.execute(stmt)]
    return created


def cursor_of(session: Session, corp_id: str) -> int:
    """Return the corp's last stored seq (0 before the first pull)."""
    return session.scalar(select(ArchiveCursor.last_seq).where(ArchiveCursor.corp_id == corp_id)) or 0
