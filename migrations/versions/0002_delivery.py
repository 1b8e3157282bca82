"""Delivery: broadcasts, scheduled messages, outbox parts and resend counts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 15:58:33.809537
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0002"
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('broadcasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('author_person_id', sa.Integer(), nullable=True),
    sa.Column('total_chats', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_person_id'], ['persons.id'], name=op.f('fk_broadcasts_author_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts'))
    )
    op.create_table('scheduled_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('author_person_id', sa.Integer(), nullable=True),
    sa.Column('content_enc', sa.LargeBinary(), nullable=False),
    sa.Column('chat_ids', sa.Text(), nullable=False),
    sa.Column('lane', sa.String(length=16), nullable=False),
    sa.Column('next_due', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('broadcast_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_person_id'], ['persons.id'], name=op.f('fk_scheduled_messages_author_person_id_persons')),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_scheduled_messages_broadcast_id_broadcasts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_messages'))
    )
    with op.batch_alter_table('scheduled_messages', schema=None) as batch_op:
        batch_op.create_index('ix_scheduled_due', ['status', 'next_due'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('part', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('resent', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_constraint(batch_op.f('uq_outbox_broadcast_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_outbox_broadcast_id'), ['broadcast_id'], unique=False)
        batch_op.create_unique_constraint('uq_outbox_broadcast_chat_part', ['broadcast_id', 'chat_id', 'part'])
        batch_op.create_foreign_key(batch_op.f('fk_outbox_broadcast_id_broadcasts'), 'broadcasts', ['broadcast_id'], ['id'])




def downgrade() -> None:

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_broadcast_id_broadcasts'), type_='foreignkey')
        batch_op.drop_constraint('uq_outbox_broadcast_chat_part', type_='unique')
        batch_op.drop_index(batch_op.f('ix_outbox_broadcast_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_broadcast_id'), ['broadcast_id', 'chat_id'])
        batch_op.drop_column('resent')
        batch_op.drop_column('part')

    with op.batch_alter_table('scheduled_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduled_due')

    op.drop_table('scheduled_messages')
    op.drop_table('broadcasts')

