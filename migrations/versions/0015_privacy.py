"""Residents' data rights: a record of each export and forget request, without its content

Revision ID: 0015_privacy
Revises: 0014_views
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015_privacy'
down_revision: str | None = '0014_views'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('privacy_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('via', sa.String(length=8), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_requests')),
    )


def downgrade() -> None:
    op.drop_table('privacy_requests')
