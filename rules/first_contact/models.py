"""Tables of the first-contact guard: the review queue, recent new-member posts, reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base


class HeldMessage(Base):
    """A message held for review, with its full content: never lost, whatever is decided."""

    __tablename__ = "first_contact_held"
    __table_args__ = (
        Index("ix_first_contact_held_queue", "community", "status", "id"),
        Index("ix_first_contact_held_user", "community", "user_id", "held_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(128))
    user_name: Mapped[str | None] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(128))
    channel_name: Mapped[str | None] = mapped_column(String(255))
    message_id: Mapped[str] = mapped_column(String(128))
    thread: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    details: Mapped[dict[str, Any]]
    permalink: Mapped[str | None] = mapped_column(Text)
    held_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None]


class RecentPost(Base):
    """A recent message of a new member (for flood and cross-post detection); pruned as it ages."""

    __tablename__ = "first_contact_recent"
    __table_args__ = (Index("ix_first_contact_recent_user", "community", "user_id", "posted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    message_id: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(64))
    significant: Mapped[bool] = mapped_column(default=True)
    posted_at: Mapped[datetime]


class Report(Base):
    """A member's private report to the moderators (e.g. an unsolicited pitch by DM)."""

    __tablename__ = "first_contact_reports"
    __table_args__ = (Index("ix_first_contact_reports_community", "community", "reported_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(128))
    reporter: Mapped[str | None] = mapped_column(String(128))
    channel: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    reported_at: Mapped[datetime]
