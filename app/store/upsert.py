"""Insert-if-absent that works the same on SQLite and PostgreSQL."""
from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_ignore(session: Session, model: type, values: dict[str, Any], conflict: list[str], returning: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING `returning`; None when the row already existed."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict).returning(returning)
    return session.execute(stmt).scalar()


def insert_ignore_many(session: Session, model: type, rows: list[dict[str, Any]], conflict: list[str],
                       chunk: int = 500) -> list[Any]:
    """Multi-row INSERT … ON CONFLICT DO NOTHING RETURNING the new entities (in no particular order); one
    statement per `chunk` rows, well inside SQLite's and PostgreSQL's bound-parameter limits."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    created: list[Any] = []
    for start in range(0, len(rows), chunk):
        stmt = insert(model).values(rows[start:start + chunk]).on_conflict_do_nothing(index_elements=conflict)
        created += session.scalars(stmt.returning(model))
    return created
