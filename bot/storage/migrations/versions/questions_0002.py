"""questions: open questions of one channel (by id or by name) in asking order, for `unanswered`"""

from __future__ import annotations

from alembic import op

revision = "questions_0002"
down_revision = "questions_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_questions_state_channel", ["community", "state", "channel", "asked_at", "id"]
        )
        batch_op.create_index(
            "ix_questions_state_channel_name",
            ["community", "state", "channel_name", "asked_at", "id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index("ix_questions_state_channel_name")
        batch_op.drop_index("ix_questions_state_channel")
