"""private webmention and vouch: a mention's code, realm and vouch URL (and what the vouch
was found to be worth); a site's "answer 449 when a vouch is required"; an outgoing send's
code and realm.

Revision ID: 0011_vouch
Revises: 0010_avatars
Create Date: 2026-12-02 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_vouch"
down_revision = "0010_avatars"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("realm", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("vouch", sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column("vouch_note", sa.Text(), nullable=True))
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("require_vouch", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("outgoing", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("realm", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outgoing", schema=None) as batch_op:
        batch_op.drop_column("realm")
        batch_op.drop_column("code")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("require_vouch")
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_column("vouch_note")
        batch_op.drop_column("vouch")
        batch_op.drop_column("realm")
        batch_op.drop_column("code")
