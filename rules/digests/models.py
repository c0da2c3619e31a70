"""Tables of the digests rule: per-day message counters and members' subscriptions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base


class DailyActivity(Base):
    """How many messages a member posted in a channel on one day (community time)."""

    __tablename__ = "digests_activity"

    community: Mapped[str] = mapped_column(String(128), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(128), primary_key=True)
    user: Mapped[str] = mapped_column(String(128), primary_key=True)
    channel_name: Mapped[str | None] = mapped_column(String(255))
    messages: Mapped[int] = mapped_column(Integer, default=0)


class Subscription(Base):
    """A member who asked for the weekly DM of open questions they could answer."""

    __tablename__ = "digests_subscriptions"

    community: Mapped[str] = mapped_column(String(128), primary_key=True)
    user: Mapped[str] = mapped_column(String(128), primary_key=True)
    subscribed_at: Mapped[datetime]
