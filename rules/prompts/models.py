"""Tables of the prompts rule: the library, members' suggestions and votes, posts and replies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base


class PromptEntry(Base):
    """One open question of a community's library (from config, a moderator or a suggestion)."""

    __tablename__ = "prompts_library"
    __table_args__ = (UniqueConstraint("community", "text_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(128), index=True)
    text: Mapped[str] = mapped_column(Text)
    text_key: Mapped[str] = mapped_column(String(64))
    tone: Mapped[str] = mapped_column(String(16), default="any")
    tags: Mapped[list[str]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16))
    suggestion_id: Mapped[int | None] = mapped_column(Integer)
    added_by: Mapped[str | None] = mapped_column(String(128))
    added_at: Mapped[datetime]
    times_used: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)


class Suggestion(Base):
    """A member's suggested prompt; votes are reactions on its message."""

    __tablename__ = "prompts_suggestions"
    __table_args__ = (Index("ix_prompts_suggestions_message", "community", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    user: Mapped[str | None] = mapped_column(String(128))
    user_name: Mapped[str | None] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(128))
    message_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    votes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None]


class SuggestionVote(Base):
    """One member's reaction on a suggestion message (a member votes once, any emoji)."""

    __tablename__ = "prompts_votes"

    suggestion_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(String(128), primary_key=True)
    emoji: Mapped[str] = mapped_column(String(64), primary_key=True)


class PromptPost(Base):
    """A prompt posted in a channel, with its engagement counters."""

    __tablename__ = "prompts_posts"
    __table_args__ = (Index("ix_prompts_posts_message", "community", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(128))
    prompt_id: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(128))
    message_id: Mapped[str | None] = mapped_column(String(128))
    posted_at: Mapped[datetime] = mapped_column(index=True)
    replies: Mapped[int] = mapped_column(Integer, default=0)
    participants: Mapped[int] = mapped_column(Integer, default=0)
    first_reply_at: Mapped[datetime | None]


class PromptParticipant(Base):
    """A member who replied to a posted prompt (for distinct participant counts)."""

    __tablename__ = "prompts_participants"

    post_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(String(128), primary_key=True)
