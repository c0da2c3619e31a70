"""welcome tables: welcome_newcomers"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.storage.base

revision = "welcome_0001"
down_revision = "0001_core"
branch_labels = ("welcome",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "welcome_newcomers",
        sa.Column("community", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("joined_at", bot.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_joined_at", bot.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("join_channel", sa.String(length=128), nullable=True),
        sa.Column("welcomed_at", bot.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("welcome_kind", sa.String(length=16), nullable=True),
        sa.Column("burst_pending", sa.Boolean(), nullable=False),
        sa.Column("introduced_at", bot.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("intro_channel", sa.String(length=128), nullable=True),
        sa.Column("intro_message_id", sa.String(length=128), nullable=True),
        sa.Column("intro_excerpt", sa.Text(), nullable=True),
        sa.Column("followed_up_at", bot.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("left_at", bot.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("community", "user_id", name=op.f("pk_welcome_newcomers")),
    )
    with op.batch_alter_table("welcome_newcomers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_welcome_newcomers_recent", ["community", "last_joined_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("welcome_newcomers", schema=None) as batch_op:
        batch_op.drop_index("ix_welcome_newcomers_recent")

    op.drop_table("welcome_newcomers")
