"""Hot-lead alerts.

Revision ID: 0006_lead_alerts
Revises: 0005_archive
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_lead_alerts"
down_revision = "0005_archive"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "lead_alerts",
        sa.Column("id", ID, primary_key=True),
        sa.Column("contact_id", ID, sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("owner_userid", sa.String(64), nullable=False),
        sa.Column("intent", sa.String(32), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("message_ids", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("message_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True)),
        sa.Column("acked_by", sa.String(64)),
        sa.Column("escalated_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_lead_alerts_contact_created", "lead_alerts", ["contact_id", "created_at"])
    op.create_index("ix_lead_alerts_open", "lead_alerts", ["acked_at", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_lead_alerts_open", "lead_alerts")
    op.drop_index("ix_lead_alerts_contact_created", "lead_alerts")
    op.drop_table("lead_alerts")
