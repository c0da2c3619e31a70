"""questions: index questions by asker within a channel (an asker's live questions were a scan
of the channel's questions of the solved window)"""

from __future__ import annotations

from alembic import op

revision = "questions_0005"
down_revision = "questions_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_questions_asker", "questions", ["community", "channel", "asker", "asked_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_questions_asker", table_name="questions")
