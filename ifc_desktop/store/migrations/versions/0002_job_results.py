"""Jobs keep what their import said: its warnings, and whether the bytes were already a version.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("warnings", sa.JSON(none_as_null=True), nullable=True))
    op.add_column("jobs", sa.Column("reused", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("reused")
        batch.drop_column("warnings")
