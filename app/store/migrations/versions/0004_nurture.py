"""nurture

Revision ID: 0004_nurture
Revises: 0003_schedule_runs
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_nurture'
down_revision = '0003_schedule_runs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('content_versions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('loaded_by', sa.String(length=64), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('content_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_versions_content_hash'), ['content_hash'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('action_id', sa.BigInteger(), nullable=False),
    sa.Column('contact_id', sa.BigInteger(), nullable=False),
    sa.Column('external_userid', sa.String(length=64), nullable=False),
    sa.Column('sequence_key', sa.String(length=64), nullable=False),
    sa.Column('step_id', sa.String(length=64), nullable=False),
    sa.Column('touchpoint', sa.String(length=16), nullable=False),
    sa.Column('sender', sa.String(length=64), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('action_id', 'contact_id', name='uq_deliveries_action_contact')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_contact_date', ['contact_id', 'local_date'], unique=False)
        batch_op.create_index('ix_deliveries_date', ['local_date'], unique=False)

    op.create_table('moment_plans',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('action_id', sa.BigInteger(), nullable=False),
    sa.Column('slot', sa.String(length=160), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('senders', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('action_id')
    )
    with op.batch_alter_table('moment_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moment_plans_local_date'), ['local_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_moment_plans_slot'), ['slot'], unique=False)

    op.create_table('enrollments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sequence_key', sa.String(length=64), nullable=False),
    sa.Column('version_id', sa.BigInteger(), nullable=True),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('exited_reason', sa.String(length=64), nullable=True),
    sa.Column('exited_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contact_id', 'sequence_key', name='uq_enrollments_contact_sequence')
    )
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.create_index('ix_enrollments_sequence', ['sequence_key'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_index('ix_enrollments_sequence')

    op.drop_table('enrollments')
    with op.batch_alter_table('moment_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_moment_plans_slot'))
        batch_op.drop_index(batch_op.f('ix_moment_plans_local_date'))

    op.drop_table('moment_plans')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_date')
        batch_op.drop_index('ix_deliveries_contact_date')

    op.drop_table('deliveries')
    with op.batch_alter_table('content_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_versions_content_hash'))

    op.drop_table('content_versions')
