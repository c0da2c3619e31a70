"""Settings of the prompts rule: library, schedule slots, tone by weekday, channel targets."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.durations import Duration
from bot.rule import RuleSettings

Tone = Literal["serious", "light", "any"]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SLOT = re.compile(r"^(?P<days>[a-z,\-]+)\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})$")
_DAY_GROUPS = {"daily": "*", "weekdays": "mon-fri", "weekends": "sat,sun"}

DEFAULT_LIBRARY = (
    ("What is one thing you learned this week that surprised you?", "serious"),
    ("Which problem are you stuck on right now? Others may have met it before.", "serious"),
    ("What tool or habit made the biggest difference in your work this year?", "serious"),
    ("Which decision would you make differently if you started your project again?", "serious"),
    ("What is the best question someone asked you recently?", "any"),
    ("Who helped you lately, here or elsewhere? Tell us how.", "any"),
    ("What are you looking forward to this weekend?", "light"),
    ("Share a small win from this week, however small.", "light"),
    ("What is on your desk (or screen) right now that others might not expect?", "light"),
    ("Recommend one thing (a book, a talk, a walk) to the circle.", "light"),
)


def slot_to_cron(slot: str) -> str:
    """`tue 10:00` -> `0 10 * * tue`; days may be lists (`mon,wed`), ranges, daily, weekdays."""
    match = _SLOT.match(slot.strip().lower())
    if match is None:
        raise ValueError(f"invalid time slot {slot!r}; write a day and a time, e.g. 'tue 10:00'")
    days = _DAY_GROUPS.get(match["days"], match["days"])
    for part in re.split(r"[,\-]", days):
        if part != "*" and part not in DAYS:
            raise ValueError(f"invalid day {part!r} in {slot!r}; use mon..sun, daily or weekdays")
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 23 or minute > 59:
        raise ValueError(f"invalid time in {slot!r}; use a 24-hour time such as 09:00")
    return f"{minute} {hour} * * {days}"


def _check_slots(value: list[str]) -> list[str]:
    for slot in value:
        slot_to_cron(slot)
    return value


class PromptSpec(BaseModel):
    """One prompt of the configured library."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=3)
    tone: Tone = "any"
    tags: list[str] = Field(default_factory=list)


class PromptTarget(BaseModel):
    """A channel that receives prompts; its own slots and tags are optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: str
    schedule: list[str] | None = None
    tags: list[str] = Field(default_factory=list)

    @field_validator("schedule")
    @classmethod
    def _valid_slots(cls, value: list[str] | None) -> list[str] | None:
        return value if value is None else _check_slots(value)


def _default_library() -> list[PromptSpec]:
    return [
        PromptSpec.model_validate({"text": text, "tone": tone}) for text, tone in DEFAULT_LIBRARY
    ]


def _default_tones() -> dict[str, Tone]:
    tones: dict[str, Tone] = {"mon": "serious", "tue": "serious", "wed": "serious", "thu": "any"}
    tones.update({"fri": "light", "sat": "light", "sun": "light"})
    return tones


class PromptsSettings(RuleSettings):
    """`prompts:` settings; every key has a default."""

    schedule: list[str] = Field(default_factory=lambda: ["tue 10:00", "fri 15:00"])
    targets: list[PromptTarget] = Field(default_factory=lambda: [PromptTarget(channel="general")])
    tones: dict[str, Tone] = Field(default_factory=_default_tones)
    library: list[PromptSpec] = Field(default_factory=_default_library)
    intro: str = "Open question for the circle:"
    invite: str = "Reply in the thread: every voice counts."
    suggestions_channel: str | None = None
    grace: Duration = timedelta(hours=1)

    @field_validator("schedule")
    @classmethod
    def _valid_slots(cls, value: list[str]) -> list[str]:
        return _check_slots(value)

    @field_validator("tones")
    @classmethod
    def _known_days(cls, value: dict[str, Tone]) -> dict[str, Tone]:
        unknown = [day for day in value if day not in DAYS]
        if unknown:
            raise ValueError(f"unknown day(s) {unknown}; use mon, tue, wed, thu, fri, sat, sun")
        return {**_default_tones(), **value}

    def tone_for(self, weekday: int) -> Tone:
        """The tone of a weekday (0 = Monday)."""
        return self.tones.get(DAYS[weekday], "any")
