"""Outbox: index (chat_id, status), replacing the plain chat index

The delivery worker leaves out the queues of chats with a row in flight; this index answers
"has this chat a row in flight?" in one probe.

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
        batch_op.create_index("ix_outbox_chat_status", ["chat_id", "status"], unique=False)
        batch_op.drop_index("ix_outbox_chat_id")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_chat_id", ["chat_id"], unique=False)
        batch_op.drop_index("ix_outbox_chat_status")
