"""Tables of the questions rule: tracked questions, their nudges, and recent channel lines."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base

OPEN = "open"
ANSWERED = "answered"
SOLVED = "solved"
CLOSED = "closed"
STATES = (OPEN, ANSWERED, SOLVED, CLOSED)
LIVE_STATES = (OPEN, ANSWERED)
"""States in which a question still listens for signals."""

ANSWERED_BY_REPLY = "answered_by_reply"
MARKED_SOLVED = "marked_solved"
MODERATOR = "moderator"
WITHDRAWN = "withdrawn"
DELETED = "deleted"
EXPIRED = "expired"
CLOSE_REASONS = (ANSWERED_BY_REPLY, MARKED_SOLVED, MODERATOR, WITHDRAWN, DELETED, EXPIRED)

HELPERS = "helpers"
MODERATORS = "moderators"
ESCALATION = "escalation"
LEVELS = (HELPERS, MODERATORS, ESCALATION)


class Question(Base):
    """One tracked question, from detection to its close reason."""

    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("community", "message_id"),
        Index("ix_questions_state", "community", "state", "asked_at"),
        Index("ix_questions_place", "community", "channel", "asked_at"),
        Index("ix_questions_thread", "community", "thread"),
        Index("ix_questions_asker", "community", "channel", "asker", "asked_at"),
        Index("ix_questions_answerer", "community", "channel", "answered_by", "answered_at"),
        Index("ix_questions_state_channel", "community", "state", "channel", "asked_at", "id"),
        Index(
            "ix_questions_state_channel_name",
            "community",
            "state",
            "channel_name",
            "asked_at",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    channel_name: Mapped[str | None] = mapped_column(String(128))
    message_id: Mapped[str] = mapped_column(String(128))
    thread: Mapped[str | None] = mapped_column(String(128))
    asker: Mapped[str] = mapped_column(String(128))
    asker_name: Mapped[str | None] = mapped_column(String(255))
    asked_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text, default="")
    permalink: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=OPEN)
    close_reason: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[str | None] = mapped_column(String(128))
    answer_kind: Mapped[str | None] = mapped_column(String(32))
    solved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    hold_until: Mapped[datetime | None]
    invited_at: Mapped[datetime | None]
    escalation_pending: Mapped[bool] = mapped_column(default=False)


class QuestionNudge(Base):
    """A nudge the bot sent about a question; one per question and level."""

    __tablename__ = "questions_nudges"
    __table_args__ = (
        UniqueConstraint("question_id", "level"),
        Index("ix_questions_nudges_channel", "community", "channel", "level", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question_id: Mapped[int] = mapped_column(Integer, index=True)
    community: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    level: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]


class ChannelLine(Base):
    """A recent message of a watched channel: the short memory exchanges are judged by."""

    __tablename__ = "questions_lines"
    __table_args__ = (
        UniqueConstraint("community", "message_id"),
        Index("ix_questions_lines_place", "community", "channel", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    message_id: Mapped[str] = mapped_column(String(128))
    user: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text, default="")
    thread: Mapped[str | None] = mapped_column(String(128))
    reply_to: Mapped[str | None] = mapped_column(String(128))
    mentions: Mapped[str] = mapped_column(Text, default="")
    """Mentioned user ids, one per line."""


LINES = cast(Table, ChannelLine.__table__)
"""The lines table for core statements (the hot path avoids ORM objects)."""


class LinesVersion(Base):
    """How many transactions changed a community's channel lines: validates cached copies."""

    __tablename__ = "questions_lines_versions"

    community: Mapped[str] = mapped_column(String(128), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


LINES_VERSIONS = cast(Table, LinesVersion.__table__)
