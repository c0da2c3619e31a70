"""first_contact: index held messages by member (checks on a member's held messages were scans)"""

from __future__ import annotations

from alembic import op

revision = "first_contact_0002"
down_revision = "first_contact_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_first_contact_held_user",
        "first_contact_held",
        ["community", "user_id", "held_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_first_contact_held_user", table_name="first_contact_held")
