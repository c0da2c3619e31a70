"""Settings of the first-contact guard (per community, overridable per channel)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from bot.durations import Duration
from bot.rule import RuleSettings


class FirstContactSettings(RuleSettings):
    """Who counts as new, which triggers hold their messages, and how reports are shown."""

    new_for: Duration = timedelta(days=7)
    min_messages: int = Field(default=5, ge=0)
    unseen_members: Literal["established", "new"] = "established"
    trusted_roles: list[str] = Field(default_factory=list)
    links: bool = True
    links_allowed: int = Field(default=0, ge=0)
    allowed_domains: list[str] = Field(default_factory=list)
    mentions: bool = True
    max_mentions: int = Field(default=5, ge=1)
    cross_posts: bool = True
    cross_post_channels: int = Field(default=3, ge=2)
    cross_post_window: Duration = timedelta(minutes=10)
    floods: bool = True
    flood_messages: int = Field(default=5, ge=1)
    flood_window: Duration = timedelta(seconds=10)
    check_edits: bool = True
    report_names_reporter: bool = False
