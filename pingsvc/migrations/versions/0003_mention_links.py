"""mention links and duplicates: the URLs a mention is known by or replies to, for threads and
for showing a post and its syndicated copy once

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mention_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["mention_id"],
            ["mention.id"],
            name=op.f("fk_mention_link_mention_id_mention"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mention_link")),
    )
    with op.batch_alter_table("mention_link", schema=None) as batch_op:
        batch_op.create_index("ix_mention_link_key_kind", ["key", "kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mention_link_mention_id"), ["mention_id"], unique=False
        )
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_mention_duplicate_of_id_mention"),
            "mention",
            ["duplicate_of_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_mention_duplicate_of_id_mention"), type_="foreignkey"
        )
        batch_op.drop_column("duplicate_of_id")
    with op.batch_alter_table("mention_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mention_link_mention_id"))
        batch_op.drop_index("ix_mention_link_key_kind")
    op.drop_table("mention_link")
