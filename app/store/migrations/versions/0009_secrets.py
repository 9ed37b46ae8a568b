"""Secrets at rest (Fernet tokens under SCRM_SECRET_KEYS).

Revision ID: 0009_secrets
Revises: 0008_console
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_secrets"
down_revision = "0008_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("secrets")
