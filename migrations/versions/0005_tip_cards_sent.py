"""Tips: when their officers' cards went out (sent after the receipt)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 17:57:16.491037
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cards_sent_at', sa.DateTime(timezone=True), nullable=True))
    # tips from before this revision had their cards sent in the same transaction
    op.execute("UPDATE tips SET cards_sent_at = created_at")




def downgrade() -> None:

    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.drop_column('cards_sent_at')


