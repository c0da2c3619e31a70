"""questions: a per-community version of the channel lines (processes keep lines across batches)"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "questions_0004"
down_revision = "questions_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "questions_lines_versions",
        sa.Column("community", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("community", name=op.f("pk_questions_lines_versions")),
    )


def downgrade() -> None:
    op.drop_table("questions_lines_versions")
