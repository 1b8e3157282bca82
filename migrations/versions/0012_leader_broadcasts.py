"""Leaders' own broadcasts: a scheduled message's area (reached as a campaign message is) and
its repeat

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scheduled_messages") as batch:
        batch.add_column(sa.Column("area_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("repeat", sa.String(length=8), nullable=False,
                                   server_default="none"))
        batch.create_foreign_key(op.f("fk_scheduled_messages_area_id_areas"), "areas",
                                 ["area_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("scheduled_messages") as batch:
        batch.drop_constraint(op.f("fk_scheduled_messages_area_id_areas"), type_="foreignkey")
        batch.drop_column("repeat")
        batch.drop_column("area_id")
