"""Waiting for contact (Zalo's 48-hour window), withdrawn cards, and nothing kept that times
a fully anonymous reporter

- `chats.waiting_contact`: the chat has outbox rows waiting for the person to write;
- `tip_cards.withdrawn`: the card's chat no longer holds the tip (revoked, transferred);
- an index on `tip_cards.outbox_id`: the delivery worker asks "is this row a card?" for every
  row it delivers, and deletes it when it is not (nor a broadcast's);
- the data of before: delivered rows that are neither a broadcast's nor a card go (as the
  worker now does at delivery), handled updates forget their sender and keep only the day,
  and the per-hour tip counters go (the limit is per day now, on day-aligned windows).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ALTER TABLE ADD COLUMN (SQLite too): a batch copy of `chats` would trip over the
    # foreign keys that point at it
    op.add_column("chats", sa.Column("waiting_contact", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column("tip_cards", sa.Column("withdrawn", sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    op.create_index("ix_tip_cards_outbox_id", "tip_cards", ["outbox_id"], unique=False)
    op.execute("DELETE FROM outbox WHERE status = 'sent' AND broadcast_id IS NULL "
               "AND NOT EXISTS (SELECT 1 FROM tip_cards WHERE tip_cards.outbox_id = outbox.id)")
    if op.get_bind().dialect.name == "postgresql":
        day = "date_trunc('day', {0} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
    else:  # SQLite keeps UTC as text: the date alone, at midnight
        day = "datetime(date({0}))"
    op.execute(f"UPDATE inbox SET sender_ref = '', received_at = {day.format('received_at')}, "
               f"processed_at = {day.format('processed_at')} WHERE status = 'done'")
    op.execute("DELETE FROM guard_counters WHERE key LIKE 'tips:%'")


def downgrade() -> None:
    """The forgotten senders and times stay forgotten; the columns and the index go."""
    op.drop_index("ix_tip_cards_outbox_id", table_name="tip_cards")
    for table, column in (("tip_cards", "withdrawn"), ("chats", "waiting_contact")):
        if op.get_bind().dialect.name == "sqlite":
            # SQLite drops a plain column in place; a batch copy of the table would trip over
            # the foreign keys that point at it
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_column(table, column)
