"""Acknowledgements: «Nhà tôi đã nhận» per broadcast and person, stored raw, once each

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-14 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "acknowledgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["broadcast_id"], ["broadcasts.id"],
                                name=op.f("fk_acknowledgements_broadcast_id_broadcasts")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"],
                                name=op.f("fk_acknowledgements_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acknowledgements")),
        sa.UniqueConstraint("broadcast_id", "person_id",
                            name=op.f("uq_acknowledgements_broadcast_id")),
    )
    op.create_index(op.f("ix_acknowledgements_person_id"), "acknowledgements", ["person_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_acknowledgements_person_id"), table_name="acknowledgements")
    op.drop_table("acknowledgements")
