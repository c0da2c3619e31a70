"""Core tables: inbox, outbox, deadlines, job claims, members, communities, config overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base


class InboxEntry(Base):
    """An event already handled, by `platform:event_id`."""

    __tablename__ = "inbox"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)


class OutboxEntry(Base):
    """An action stored before it is sent; `key` makes it idempotent."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    community: Mapped[str] = mapped_column(String(128))
    rule: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None]


class Deadline(Base):
    """A durable deadline: at `due_at`, `rule.on_due` runs with `payload`."""

    __tablename__ = "deadlines"
    __table_args__ = (
        UniqueConstraint("community", "rule", "key"),
        Index("ix_deadlines_due", "due_at", "id"),  # the sweep's claim order
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(128))
    rule: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    due_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_until: Mapped[datetime | None]


class JobClaim(Base):
    """The replica that runs one fire of a scheduled job; its primary key makes it exactly once."""

    __tablename__ = "job_claims"

    job_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    fire_time: Mapped[datetime] = mapped_column(primary_key=True)
    claimed_by: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="running")


class Member(Base):
    """What the core knows of a member: joined when, how many messages."""

    __tablename__ = "members"

    community: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    joined_at: Mapped[datetime | None]
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    is_bot: Mapped[bool] = mapped_column(default=False)
    left_at: Mapped[datetime | None]


class Community(Base):
    """A community the bot serves (`platform:id`)."""

    __tablename__ = "communities"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(255))
    first_seen: Mapped[datetime]


class ConfigOverride(Base):
    """One runtime config change by a moderator (append-only: the latest row per key wins).

    `value` is `{"value": <JSON>}` for a set and NULL for an unset; the row count is the
    version replicas compare to learn of changes.
    """

    __tablename__ = "config_overrides"
    __table_args__ = (Index("ix_config_overrides_community", "community", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(128))
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[dict[str, Any] | None]
    set_by: Mapped[str] = mapped_column(String(128))
    set_at: Mapped[datetime]
