"""What a rule sees while it runs: time, its settings, its storage, and the platform's abilities."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.adapter import Capabilities
from bot.circle_config import CommunityConfig
from bot.rule import RuleSettings
from bot.storage.members import Members
from bot.storage.repos import Deadlines


@dataclass(frozen=True)
class DueItem:
    """A deadline that came due."""

    community: str
    key: str
    due_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobRun:
    """One fire of a scheduled job in one community."""

    community: str
    job_id: str
    fire_time: datetime
    payload: dict[str, Any] = field(default_factory=dict)


class RuleContext:
    """Per-call context handed to a rule; never outlives the transaction it belongs to."""

    def __init__(
        self,
        *,
        rule: str,
        community: str,
        config: CommunityConfig,
        session: AsyncSession,
        now: datetime,
        capabilities: Capabilities,
    ) -> None:
        self.rule = rule
        self.community = community
        self.config = config
        self.session = session
        self.now = now
        self.capabilities = capabilities
        self.consumed = False

    @cached_property
    def members(self) -> Members:
        """What the core knows of the community's members."""
        return Members(self.session, community=self.community)

    @cached_property
    def deadlines(self) -> Deadlines:
        """This rule's durable deadlines in the community."""
        return Deadlines(self.session, community=self.community, rule=self.rule)

    @property
    def settings(self) -> RuleSettings:
        """This rule's settings for the whole community."""
        return self.config.rule_settings(self.rule)

    def settings_for(self, *channel: str | None) -> RuleSettings:
        """This rule's settings with a channel's overrides (pass its id and/or name)."""
        return self.config.rule_settings(self.rule, [c for c in channel if c])

    def other_settings(self, rule: str, *channel: str | None) -> RuleSettings:
        """Another rule's settings (e.g. digests reading the questions settings)."""
        return self.config.rule_settings(rule, [c for c in channel if c])

    @property
    def tz(self) -> ZoneInfo:
        return self.config.tz

    def local_now(self) -> datetime:
        """Now, in the community's timezone."""
        return self.now.astimezone(self.tz)

    def is_moderator(self, user: str, *, roles: Iterable[str] = (), is_admin: bool = False) -> bool:
        return self.config.is_moderator(user, roles=roles, is_admin=is_admin)

    def consume(self) -> None:
        """Stop later rules from seeing this event (e.g. a message held for review)."""
        self.consumed = True
