"""Outbox: an index on each chat's queue in sending order, replacing the plain chat index

The delivery worker picks only the head row of each chat; this index answers "is there an
earlier row of this chat still waiting or in flight?" in one probe.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_chat_queue", ["chat_id", "status", "priority", "id"],
                              unique=False)
        batch_op.drop_index("ix_outbox_chat_id")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_chat_id", ["chat_id"], unique=False)
        batch_op.drop_index("ix_outbox_chat_queue")
