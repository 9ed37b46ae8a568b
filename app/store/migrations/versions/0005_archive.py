"""archive

Revision ID: 0005_archive
Revises: 0004_nurture
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_archive'
down_revision = '0004_nurture'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('archive_cursor',
    sa.Column('corp_id', sa.String(length=64), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('corp_id')
    )
    op.create_table('chat_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('msgid', sa.String(length=128), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('external_userid', sa.String(length=64), nullable=False),
    sa.Column('userid', sa.String(length=64), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('msgtime', sa.DateTime(timezone=True), nullable=False),
    sa.Column('msgtype', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('msgid')
    )
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.create_index('ix_chat_messages_contact_time', ['external_userid', 'msgtime'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_messages_seq'), ['seq'], unique=False)
        batch_op.create_index('ix_chat_messages_staff_time', ['userid', 'msgtime'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_messages_staff_time')
        batch_op.drop_index(batch_op.f('ix_chat_messages_seq'))
        batch_op.drop_index('ix_chat_messages_contact_time')

    op.drop_table('chat_messages')
    op.drop_table('archive_cursor')
