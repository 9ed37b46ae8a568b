"""schedule runs: the scheduler's own record of planned slots

Revision ID: 0003_schedule_runs
Revises: 0002_contacts
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_schedule_runs'
down_revision = '0002_contacts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('schedule_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('epoch', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', 'due_at', name='uq_schedule_runs_name_due')
    )
    with op.batch_alter_table('schedule_runs', schema=None) as batch_op:
        batch_op.create_index('ix_schedule_runs_status_planned', ['status', 'planned_at'], unique=False)
        batch_op.create_index('ix_schedule_runs_epoch', ['epoch'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('schedule_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_schedule_runs_epoch')
        batch_op.drop_index('ix_schedule_runs_status_planned')

    op.drop_table('schedule_runs')
