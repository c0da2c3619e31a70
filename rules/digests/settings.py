"""Settings of the digests rule: when digests go out, where, and how long they are."""

from __future__ import annotations

import re
from datetime import timedelta

from pydantic import Field, field_validator

from bot.durations import Duration
from bot.rule import RuleSettings
from rules.prompts.settings import DAYS, slot_to_cron

_TIME = re.compile(r"^\d{1,2}:\d{2}$")


def _valid_time(value: str | None) -> str | None:
    if value is not None and not _TIME.match(value.strip()):
        raise ValueError(f"invalid time {value!r}; use a 24-hour time such as 09:00, or null")
    if value is not None:
        slot_to_cron(f"daily {value.strip()}")
    return value


def _valid_slot(value: str | None) -> str | None:
    if value is not None:
        slot_to_cron(value)
    return value


class DigestsSettings(RuleSettings):
    """`digests:` settings; every key has a default (null turns a digest off)."""

    daily: str | None = "09:00"
    weekly: str | None = "mon 09:00"
    members_weekly: str | None = "mon 09:00"
    channel: str | None = None
    max_items: int = Field(default=10, ge=1, le=50)
    active_window: Duration = timedelta(days=30)
    grace: Duration = timedelta(hours=2)

    @field_validator("daily")
    @classmethod
    def _daily(cls, value: str | None) -> str | None:
        return _valid_time(value)

    @field_validator("weekly", "members_weekly")
    @classmethod
    def _weekly(cls, value: str | None) -> str | None:
        return _valid_slot(value)

    def daily_cron(self) -> str | None:
        """The daily digest's cron; on the weekly digest's days at the same time it stays quiet."""
        if self.daily is None:
            return None
        cron = slot_to_cron(f"daily {self.daily}")
        if self.weekly is None:
            return cron
        weekly = slot_to_cron(self.weekly)
        minute, hour, *_, weekly_days = weekly.split()
        if cron.split()[:2] != [minute, hour] or weekly_days == "*":
            return cron
        busy = _expand(weekly_days)
        free = [d for d in DAYS if d not in busy]
        return cron.rsplit(" ", 1)[0] + " " + ",".join(free) if free else None


def _expand(days: str) -> set[str]:
    out: set[str] = set()
    for part in days.split(","):
        if "-" in part:
            first, last = part.split("-")
            out.update(DAYS[DAYS.index(first) : DAYS.index(last) + 1])
        else:
            out.add(part)
    return out
