"""Versions made from a zip archive keep the SHA-256 of the IFC file inside it.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("versions", sa.Column("content_sha256", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_versions_content_sha256"), "versions", ["content_sha256"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_versions_content_sha256"), table_name="versions")
    with op.batch_alter_table("versions") as batch:
        batch.drop_column("content_sha256")
