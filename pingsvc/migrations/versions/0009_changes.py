"""the change feed: one line per change to a mention, commit-ordered per site, and the
indexes that find a mention's replies and copies; every shown mention gets a first line.
And the dashboard's import jobs.

Revision ID: 0009_changes
Revises: 0008_origin
Create Date: 2026-12-02 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_changes"
down_revision = "0008_origin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mention_change",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=2048), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
            name=op.f("fk_mention_change_site_id_site"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mention_change")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("mention_change", schema=None) as batch_op:
        batch_op.create_index("ix_mention_change_site_id", ["site_id", "id"], unique=False)
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.create_index("ix_mention_parent_id", ["parent_id"], unique=False)
        batch_op.create_index("ix_mention_duplicate_of_id", ["duplicate_of_id"], unique=False)
    op.create_table(
        "import_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("verify", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_import_job_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_import_job_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_job")),
    )
    with op.batch_alter_table("import_job", schema=None) as batch_op:
        batch_op.create_index(
            "ix_import_job_account_created", ["account_id", "created_at"], unique=False
        )
    # A cache that starts from since=0 must see what was shown before the feed existed.
    op.execute(
        "INSERT INTO mention_change (site_id, mention_id, target, created_at) "
        "SELECT site_id, id, target, CURRENT_TIMESTAMP FROM mention "
        "WHERE status IN ('approved', 'held') ORDER BY id"
    )


def downgrade() -> None:
    with op.batch_alter_table("import_job", schema=None) as batch_op:
        batch_op.drop_index("ix_import_job_account_created")
    op.drop_table("import_job")
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_duplicate_of_id")
        batch_op.drop_index("ix_mention_parent_id")
    with op.batch_alter_table("mention_change", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_change_site_id")
    op.drop_table("mention_change")
