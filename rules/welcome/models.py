"""The welcome rule's table: one row per member it greeted (or saw introduce themselves)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base


class Newcomer(Base):
    """A member's welcome history: joins, the welcome, the introduction, the one follow-up."""

    __tablename__ = "welcome_newcomers"
    __table_args__ = (Index("ix_welcome_newcomers_recent", "community", "last_joined_at"),)

    community: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    joined_at: Mapped[datetime]
    last_joined_at: Mapped[datetime]
    join_channel: Mapped[str | None] = mapped_column(String(128))
    welcomed_at: Mapped[datetime | None]
    welcome_kind: Mapped[str | None] = mapped_column(String(16))
    burst_pending: Mapped[bool] = mapped_column(default=False)
    introduced_at: Mapped[datetime | None]
    intro_channel: Mapped[str | None] = mapped_column(String(128))
    intro_message_id: Mapped[str | None] = mapped_column(String(128))
    intro_excerpt: Mapped[str | None] = mapped_column(Text)
    followed_up_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
