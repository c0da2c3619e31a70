"""first_contact tables: first_contact_held, first_contact_recent, first_contact_reports"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.storage.base

revision = "first_contact_0001"
down_revision = "0001_core"
branch_labels = ("first_contact",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "first_contact_held",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("community", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("user_name", sa.String(length=255), nullable=True),
        sa.Column("channel", sa.String(length=128), nullable=False),
        sa.Column("channel_name", sa.String(length=255), nullable=True),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("thread", sa.String(length=128), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("permalink", sa.Text(), nullable=True),
        sa.Column("held_at", bot.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", bot.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_first_contact_held")),
    )
    with op.batch_alter_table("first_contact_held", schema=None) as batch_op:
        batch_op.create_index(
            "ix_first_contact_held_queue", ["community", "status", "id"], unique=False
        )

    op.create_table(
        "first_contact_recent",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("community", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=128), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("significant", sa.Boolean(), nullable=False),
        sa.Column("posted_at", bot.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_first_contact_recent")),
    )
    with op.batch_alter_table("first_contact_recent", schema=None) as batch_op:
        batch_op.create_index(
            "ix_first_contact_recent_user", ["community", "user_id", "posted_at"], unique=False
        )

    op.create_table(
        "first_contact_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("community", sa.String(length=128), nullable=False),
        sa.Column("reporter", sa.String(length=128), nullable=True),
        sa.Column("channel", sa.String(length=128), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reported_at", bot.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_first_contact_reports")),
    )
    with op.batch_alter_table("first_contact_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_first_contact_reports_community", ["community", "reported_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("first_contact_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_first_contact_reports_community")

    op.drop_table("first_contact_reports")
    with op.batch_alter_table("first_contact_recent", schema=None) as batch_op:
        batch_op.drop_index("ix_first_contact_recent_user")

    op.drop_table("first_contact_recent")
    with op.batch_alter_table("first_contact_held", schema=None) as batch_op:
        batch_op.drop_index("ix_first_contact_held_queue")

    op.drop_table("first_contact_held")
