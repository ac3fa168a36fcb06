"""outgoing: one row per (source, target) pingsvc sends a webmention or pingback for, with
its status, so re-sends reach removed links and a deleted post reaches every earlier target

Revision ID: 0006_outgoing
Revises: 0005_lease
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_outgoing"
down_revision = "0005_lease"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outgoing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=2048), nullable=False),
        sa.Column("target", sa.String(length=2048), nullable=False),
        sa.Column("target_host", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=True),
        sa.Column("endpoint", sa.String(length=2048), nullable=True),
        sa.Column("http_code", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("location", sa.String(length=2048), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("callback", sa.String(length=2048), nullable=True),
        sa.Column("linked", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_outgoing_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing")),
        sa.UniqueConstraint("public_id", name=op.f("uq_outgoing_public_id")),
        sa.UniqueConstraint("source", "target", name=op.f("uq_outgoing_source")),
    )
    with op.batch_alter_table("outgoing", schema=None) as batch_op:
        batch_op.create_index("ix_outgoing_site_updated", ["site_id", "updated_at"])
        batch_op.create_index("ix_outgoing_queued_at", ["queued_at"])
        batch_op.create_index("ix_outgoing_host_lease", ["target_host", "lease_until"])


def downgrade() -> None:
    op.drop_table("outgoing")
