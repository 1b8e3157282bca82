"""Tip-offs: tips, reporters, events, cards, evidence, guard counters

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:11:05.757659
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('guard_counters',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_guard_counters'))
    )
    with op.batch_alter_table('guard_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guard_counters_expires_at'), ['expires_at'], unique=False)

    op.create_table('tips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_hash', sa.String(length=64), nullable=False),
    sa.Column('pin_hash', sa.String(length=64), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('content_enc', sa.LargeBinary(), nullable=True),
    sa.Column('incident_area_id', sa.Integer(), nullable=True),
    sa.Column('commune_id', sa.Integer(), nullable=True),
    sa.Column('routed_to_fallback', sa.Boolean(), nullable=False),
    sa.Column('fallback_reason', sa.String(length=32), nullable=True),
    sa.Column('identity_mode', sa.String(length=16), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('assigned_officer_id', sa.Integer(), nullable=True),
    sa.Column('forwarded_to', sa.String(length=200), nullable=True),
    sa.Column('complex_case', sa.Boolean(), nullable=False),
    sa.Column('extended', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('routed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('forwarded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminder_stage', sa.Integer(), nullable=False),
    sa.Column('overdue', sa.Boolean(), nullable=False),
    sa.Column('content_purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_officer_id'], ['persons.id'], name=op.f('fk_tips_assigned_officer_id_persons')),
    sa.ForeignKeyConstraint(['commune_id'], ['areas.id'], name=op.f('fk_tips_commune_id_areas')),
    sa.ForeignKeyConstraint(['incident_area_id'], ['areas.id'], name=op.f('fk_tips_incident_area_id_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tips')),
    sa.UniqueConstraint('receipt_hash', name=op.f('uq_tips_receipt_hash'))
    )
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.create_index('ix_tips_commune_status', ['commune_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_tips_next_due'), ['next_due'], unique=False)

    op.create_table('tip_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_person_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('body_enc', sa.LargeBinary(), nullable=True),
    sa.Column('answered', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['actor_person_id'], ['persons.id'], name=op.f('fk_tip_events_actor_person_id_persons')),
    sa.ForeignKeyConstraint(['tip_id'], ['tips.id'], name=op.f('fk_tip_events_tip_id_tips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_events'))
    )
    with op.batch_alter_table('tip_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_events_tip_id'), ['tip_id'], unique=False)

    op.create_table('tip_reporters',
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('person_ref', sa.String(length=64), nullable=True),
    sa.Column('person_enc', sa.LargeBinary(), nullable=True),
    sa.Column('phone_enc', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['tip_id'], ['tips.id'], name=op.f('fk_tip_reporters_tip_id_tips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tip_id', name=op.f('pk_tip_reporters'))
    )
    with op.batch_alter_table('tip_reporters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_reporters_person_ref'), ['person_ref'], unique=False)

    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('owner_ref', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('meta_enc', sa.LargeBinary(), nullable=False),
    sa.Column('data_enc', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['tip_events.id'], name=op.f('fk_evidence_event_id_tip_events'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tip_id'], ['tips.id'], name=op.f('fk_evidence_tip_id_tips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_owner_ref'), ['owner_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_tip_id'), ['tip_id'], unique=False)

    op.create_table('tip_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.Integer(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('bare', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['chat_id'], ['chats.id'], name=op.f('fk_tip_cards_chat_id_chats')),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_tip_cards_outbox_id_outbox')),
    sa.ForeignKeyConstraint(['tip_id'], ['tips.id'], name=op.f('fk_tip_cards_tip_id_tips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_cards'))
    )
    with op.batch_alter_table('tip_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_cards_tip_id'), ['tip_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('tip_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_cards_tip_id'))

    op.drop_table('tip_cards')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_tip_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_owner_ref'))

    op.drop_table('evidence')
    with op.batch_alter_table('tip_reporters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_reporters_person_ref'))

    op.drop_table('tip_reporters')
    with op.batch_alter_table('tip_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_events_tip_id'))

    op.drop_table('tip_events')
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tips_next_due'))
        batch_op.drop_index('ix_tips_commune_status')

    op.drop_table('tips')
    with op.batch_alter_table('guard_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guard_counters_expires_at'))

    op.drop_table('guard_counters')

