"""spam scoring: each mention's score and reasons, each site's threshold, and the words a
site's "report spam" taught its scorer.

Revision ID: 0012_spam
Revises: 0011_vouch
Create Date: 2026-12-02 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_spam"
down_revision = "0011_vouch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("spam_threshold", sa.Integer(), server_default=sa.text("60"), nullable=False)
        )
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spam_score", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("spam_reasons", sa.JSON(), nullable=True))
    op.create_table(
        "spam_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_spam_token_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spam_token")),
        sa.UniqueConstraint("site_id", "token", name=op.f("uq_spam_token_site_id")),
    )


def downgrade() -> None:
    op.drop_table("spam_token")
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_column("spam_reasons")
        batch_op.drop_column("spam_score")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("spam_threshold")
