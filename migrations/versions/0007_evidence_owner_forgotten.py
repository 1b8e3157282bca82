"""Evidence: forget who uploaded a file once it belongs to a tip

`owner_ref` pairs a draft's files with the account that sent them; it is the same keyed hash
as the person's, so kept on an attached file it tied a fully anonymous tip to an account. New
attachments blank it (`evidence.attach`); this blanks those attached before.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 02:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE evidence SET owner_ref = '' WHERE tip_id IS NOT NULL")


def downgrade() -> None:
    """Nothing to restore: the link is gone on purpose."""
