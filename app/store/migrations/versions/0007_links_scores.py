"""Lead-score events, tracked links and link opens.

Revision ID: 0007_links_scores
Revises: 0006_lead_alerts
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_links_scores"
down_revision = "0006_lead_alerts"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "score_events",
        sa.Column("id", ID, primary_key=True),
        sa.Column("contact_id", ID, sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(128)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_index("ix_score_events_contact_at", "score_events", ["contact_id", "at"])
    op.create_table(
        "tracked_links",
        sa.Column("id", ID, primary_key=True),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.String(200)),
        sa.Column("link_kind", sa.String(32)),
        sa.Column("action_key", sa.String(200)),
        sa.Column("sequence_key", sa.String(64)),
        sa.Column("step_id", sa.String(64)),
        sa.Column("contact_id", ID, sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("token"),
    )
    op.create_index("ix_tracked_links_action_key", "tracked_links", ["action_key"])
    op.create_table(
        "link_opens",
        sa.Column("id", ID, primary_key=True),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("contact_id", ID, sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ua_hash", sa.String(64), nullable=False),
        sa.Column("ip_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_link_opens_token_opened", "link_opens", ["token", "opened_at"])


def downgrade() -> None:
    op.drop_index("ix_link_opens_token_opened", "link_opens")
    op.drop_table("link_opens")
    op.drop_index("ix_tracked_links_action_key", "tracked_links")
    op.drop_table("tracked_links")
    op.drop_index("ix_score_events_contact_at", "score_events")
    op.drop_table("score_events")
