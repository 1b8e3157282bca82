"""Tip cards: every message of a card on record, the card itself as part 0

A tip too long for one message reaches an officer as its story (parts 1, 2, …) and then the
card with the buttons (part 0), which is the one edited as the tip changes. Cards sent before
this revision were one message each: part 0.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-20 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tip_cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("part", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("tip_cards", schema=None) as batch_op:
        batch_op.drop_column("part")
