"""retention: per-site days after which rejected mentions are deleted and deleted ones are
erased down to a tombstone (0 keeps forever).

Revision ID: 0013_retention
Revises: 0012_spam
Create Date: 2026-12-02 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_retention"
down_revision = "0012_spam"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("retain_rejected_days", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("retain_deleted_days", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("retain_deleted_days")
        batch_op.drop_column("retain_rejected_days")
