"""Foundation: areas, chats, people, roles, invites, households, inbox, outbox, flows, leases

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 15:38:27.551341
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('area_levels',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_area_levels'))
    )
    op.create_table('inbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('update_key', sa.String(length=64), nullable=False),
    sa.Column('sender_ref', sa.String(length=64), nullable=False),
    sa.Column('payload_enc', sa.LargeBinary(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox')),
    sa.UniqueConstraint('channel', 'update_key', name=op.f('uq_inbox_channel'))
    )
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_pending', ['status', 'id'], unique=False)

    op.create_table('leases',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('epoch', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_leases'))
    )
    op.create_table('meta',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_meta'))
    )
    op.create_table('areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=32), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('police_phone', sa.String(length=32), nullable=True),
    sa.Column('is_remote', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['level'], ['area_levels.code'], name=op.f('fk_areas_level_area_levels')),
    sa.ForeignKeyConstraint(['parent_id'], ['areas.id'], name=op.f('fk_areas_parent_id_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_areas')),
    sa.UniqueConstraint('code', name=op.f('uq_areas_code'))
    )
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_areas_parent_id'), ['parent_id'], unique=False)

    op.create_table('area_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=200), nullable=False),
    sa.Column('folded', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_area_aliases_area_id_areas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area_aliases')),
    sa.UniqueConstraint('area_id', 'folded', name=op.f('uq_area_aliases_area_id'))
    )
    with op.batch_alter_table('area_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_aliases_folded'), ['folded'], unique=False)

    op.create_table('chats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('chat_ref', sa.String(length=64), nullable=False),
    sa.Column('external_id_enc', sa.LargeBinary(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.String(length=32), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('inactive_reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_chats_area_id_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chats')),
    sa.UniqueConstraint('channel', 'chat_ref', name=op.f('uq_chats_channel'))
    )
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chats_area_id'), ['area_id'], unique=False)

    op.create_table('households',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_households_area_id_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_households'))
    )
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_households_area_id'), ['area_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('chat_id', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('payload_enc', sa.LargeBinary(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_epoch', sa.Integer(), nullable=True),
    sa.Column('platform_message_id', sa.String(length=64), nullable=True),
    sa.Column('reply_to_outbox_id', sa.Integer(), nullable=True),
    sa.Column('broadcast_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['chat_id'], ['chats.id'], name=op.f('fk_outbox_chat_id_chats')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('broadcast_id', 'chat_id', name=op.f('uq_outbox_broadcast_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_chat_id'), ['chat_id'], unique=False)
        batch_op.create_index('ix_outbox_due', ['channel', 'status', 'priority', 'id'], unique=False)

    op.create_table('persons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('user_ref', sa.String(length=64), nullable=False),
    sa.Column('external_id_enc', sa.LargeBinary(), nullable=False),
    sa.Column('name_enc', sa.LargeBinary(), nullable=True),
    sa.Column('private_chat_id', sa.Integer(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_persons_household_id_households')),
    sa.ForeignKeyConstraint(['private_chat_id'], ['chats.id'], name=op.f('fk_persons_private_chat_id_chats')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons')),
    sa.UniqueConstraint('channel', 'user_ref', name=op.f('uq_persons_channel'))
    )
    op.create_table('flow_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('flow', sa.String(length=64), nullable=False),
    sa.Column('step', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('data_enc', sa.LargeBinary(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['chat_id'], ['chats.id'], name=op.f('fk_flow_states_chat_id_chats')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_flow_states_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flow_states')),
    sa.UniqueConstraint('chat_id', 'person_id', name=op.f('uq_flow_states_chat_id'))
    )
    with op.batch_alter_table('flow_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flow_states_expires_at'), ['expires_at'], unique=False)

    op.create_table('invites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_by', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_invites_area_id_areas')),
    sa.ForeignKeyConstraint(['used_by'], ['persons.id'], name=op.f('fk_invites_used_by_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invites')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invites_token_hash'))
    )
    op.create_table('role_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('granted_by', sa.String(length=64), nullable=False),
    sa.Column('invite_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_role_grants_area_id_areas')),
    sa.ForeignKeyConstraint(['invite_id'], ['invites.id'], name=op.f('fk_role_grants_invite_id_invites')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_role_grants_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_grants'))
    )
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_grants_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_role_grants_person_id'), ['person_id'], unique=False)



    area_levels = sa.table(
        "area_levels", sa.column("code", sa.String), sa.column("name", sa.String),
        sa.column("rank", sa.Integer),
    )
    op.bulk_insert(area_levels, [
        {"code": "province", "name": "Tỉnh/Thành phố", "rank": 10},
        {"code": "district", "name": "Huyện/Quận (trước 2025)", "rank": 20},
        {"code": "commune", "name": "Xã/Phường/Đặc khu", "rank": 30},
        {"code": "village", "name": "Thôn/Ấp/Bản/Khu phố/Tổ dân phố", "rank": 40},
        {"code": "group", "name": "Tổ dân cư tự quản", "rank": 50},
    ])


def downgrade() -> None:

    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_grants_person_id'))
        batch_op.drop_index(batch_op.f('ix_role_grants_area_id'))

    op.drop_table('role_grants')
    op.drop_table('invites')
    with op.batch_alter_table('flow_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flow_states_expires_at'))

    op.drop_table('flow_states')
    op.drop_table('persons')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_due')
        batch_op.drop_index(batch_op.f('ix_outbox_chat_id'))

    op.drop_table('outbox')
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_households_area_id'))

    op.drop_table('households')
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chats_area_id'))

    op.drop_table('chats')
    with op.batch_alter_table('area_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_area_aliases_folded'))

    op.drop_table('area_aliases')
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_areas_parent_id'))

    op.drop_table('areas')
    op.drop_table('meta')
    op.drop_table('leases')
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_pending')

    op.drop_table('inbox')
    op.drop_table('area_levels')

