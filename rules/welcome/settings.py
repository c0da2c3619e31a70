"""Settings of the welcome rule: where and how to greet, the intro follow-up, bursts."""

from __future__ import annotations

import string
from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator

from bot.durations import Duration
from bot.rule import RuleSettings

PLACEHOLDERS = ("member", "community", "rules_channel", "intro_channel", "norms")
BURST_PLACEHOLDERS = ("members", "count", "community", "rules_channel", "intro_channel", "norms")


def check_template(value: str | None, allowed: tuple[str, ...]) -> str | None:
    """Reject templates with unknown `{placeholders}` or broken braces, naming the allowed ones."""
    if value is None:
        return None
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
    except ValueError as exc:
        raise ValueError(f"template has broken braces ({exc}); write {{{{ for a brace") from exc
    unknown = sorted({f for f in fields if f not in allowed})
    if unknown:
        known = ", ".join("{" + a + "}" for a in allowed)
        raise ValueError(f"unknown placeholder(s) {unknown} in template; use {known}")
    return value


class WelcomeSettings(RuleSettings):
    """How newcomers are greeted; `trigger` tells the Discord adapter when a member has joined."""

    trigger: Literal["join", "onboarding_complete"] = "join"
    deliver: Literal["channel", "dm", "both"] = "channel"
    channel: str | None = None
    message: str | None = None
    dm_message: str | None = None
    rewelcome_after: Duration = timedelta(days=30)
    intro_follow_up: bool = True
    intro_follow_up_after: Duration = timedelta(days=3)
    intro_follow_up_message: str | None = None
    burst_threshold: int = Field(default=5, ge=1)
    burst_window: Duration = timedelta(minutes=1)
    burst_message: str | None = None
    burst_names_shown: int = Field(default=20, ge=1)

    @field_validator("message", "dm_message", "intro_follow_up_message")
    @classmethod
    def _member_template(cls, value: str | None) -> str | None:
        return check_template(value, PLACEHOLDERS)

    @field_validator("burst_message")
    @classmethod
    def _burst_template(cls, value: str | None) -> str | None:
        return check_template(value, BURST_PLACEHOLDERS)
