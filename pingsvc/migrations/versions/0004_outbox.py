"""notification outbox: a mention's change that webhooks and e-mail must hear about is marked
in the transaction that makes it, so a lost queue message can't lose the notification; and
a login session version per account, which logging out moves on

Revision ID: 0004_outbox
Revises: 0003
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_outbox"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify_queued_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_mention_notify_queued_at", ["notify_queued_at"], unique=False)
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("session_version")
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_notify_queued_at")
        batch_op.drop_column("notify_queued_at")
