"""imported mentions: the format and original id a mention came from (what makes a re-import
idempotent), and whether it is private (shown only to the site's owner)

Revision ID: 0008_origin
Revises: 0007_feeds
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_origin"
down_revision = "0007_feeds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin_format", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("origin_id", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("private", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_mention_site_id"), ["site_id", "origin_format", "origin_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_mention_site_id"), type_="unique")
        batch_op.drop_column("private")
        batch_op.drop_column("origin_id")
        batch_op.drop_column("origin_format")
