"""deadlines: the due index also orders by id, so the sweep's claim is one index range scan"""

from __future__ import annotations

from alembic import op

revision = "0002_core_deadline_order"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.create_index("ix_deadlines_due", ["due_at", "id"], unique=False)
        batch_op.drop_index("ix_deadlines_due_at")


def downgrade() -> None:
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.create_index("ix_deadlines_due_at", ["due_at"], unique=False)
        batch_op.drop_index("ix_deadlines_due")
