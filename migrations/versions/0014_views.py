"""One-time links to files the bot made (coverage charts and reports on Zalo)

Revision ID: 0014_views
Revises: 0013
Create Date: 2026-12-07 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014_views'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('file_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], name=op.f('fk_file_links_evidence_id_evidence'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_file_links_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_file_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_file_links_token_hash'))
    )


def downgrade() -> None:
    op.drop_table('file_links')
