"""the avatar archive: each mention's archived author avatar, by key.

Revision ID: 0010_avatars
Revises: 0009_changes
Create Date: 2026-12-02 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_avatars"
down_revision = "0009_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.add_column(sa.Column("avatar_key", sa.String(length=40), nullable=True))
        batch_op.create_index("ix_mention_avatar_key", ["avatar_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_avatar_key")
        batch_op.drop_column("avatar_key")
