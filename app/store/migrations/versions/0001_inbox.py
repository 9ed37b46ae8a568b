"""Inbox of raw WeCom callbacks.

Revision ID: 0001_inbox
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_inbox"
down_revision = None
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "inbox_events",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("dedupe_key", sa.String(64), nullable=False, unique=True),
        sa.Column("corp_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("change_type", sa.String(64)),
        sa.Column("wecom_create_time", sa.BigInteger, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(500)),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_inbox_events_status_received", "inbox_events", ["status", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_inbox_events_status_received", "inbox_events")
    op.drop_table("inbox_events")
