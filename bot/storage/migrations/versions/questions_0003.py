"""questions: find a thread's question and a member's recent answers by index, not by scanning"""

from __future__ import annotations

from alembic import op

revision = "questions_0003"
down_revision = "questions_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index("ix_questions_thread", ["community", "thread"])
        batch_op.create_index(
            "ix_questions_answerer", ["community", "channel", "answered_by", "answered_at"]
        )


def downgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index("ix_questions_answerer")
        batch_op.drop_index("ix_questions_thread")
