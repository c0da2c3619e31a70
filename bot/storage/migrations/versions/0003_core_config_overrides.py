"""config_overrides: moderators' runtime config changes (append-only log per community)"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.storage.base

revision = "0003_core_config_overrides"
down_revision = "0002_core_deadline_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "config_overrides",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("community", sa.String(length=128), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("set_by", sa.String(length=128), nullable=False),
        sa.Column("set_at", bot.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_overrides")),
    )
    with op.batch_alter_table("config_overrides", schema=None) as batch_op:
        batch_op.create_index("ix_config_overrides_community", ["community", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("config_overrides", schema=None) as batch_op:
        batch_op.drop_index("ix_config_overrides_community")

    op.drop_table("config_overrides")
