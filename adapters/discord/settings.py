"""Discord settings from the environment: shards, when a member counts as joined, command sync."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from adapters.discord.translate import JoinMode
from bot.circle_config import CircleConfig

JOIN_MODE_ENV = "CIRCLEBOT_DISCORD_MEMBER_JOINED"
SYNC_ENV = "CIRCLEBOT_DISCORD_SYNC_COMMANDS"
JoinModes = Callable[[str], JoinMode]
"""A guild's join mode by community id."""


@dataclass(frozen=True)
class ShardPlan:
    """Which shards this process runs: `None` ids/count means discord.py decides (auto)."""

    shard_ids: list[int] | None = None
    shard_count: int | None = None


def parse_shards(value: str | None) -> ShardPlan:
    """`0,1/4` -> shards 0 and 1 of 4; `/4` or `4` -> all 4; empty -> auto."""
    if value is None or not value.strip():
        return ShardPlan()
    ids_part, _, count_part = value.strip().rpartition("/")
    try:
        count = int(count_part)
        ids = [int(x) for x in ids_part.split(",") if x.strip()] if ids_part.strip() else None
    except ValueError:
        raise ValueError(
            f"CIRCLEBOT_DISCORD_SHARDS={value!r}: use e.g. '0,1/4' (shards 0 and 1 of 4)"
        ) from None
    if count < 1 or any(i < 0 or i >= count for i in ids or []):
        raise ValueError(f"CIRCLEBOT_DISCORD_SHARDS={value!r}: shard ids must be in 0..{count - 1}")
    return ShardPlan(shard_ids=sorted(set(ids)) if ids else None, shard_count=count)


def parse_join_mode(value: str) -> JoinMode:
    """`join` or `onboarded`: when a member counts as joined."""
    mode = value.strip().lower()
    if mode not in ("join", "onboarded"):
        raise ValueError(f"{JOIN_MODE_ENV}={value!r}: use 'join' or 'onboarded'")
    return "join" if mode == "join" else "onboarded"


def join_modes_from_config(config: CircleConfig) -> JoinModes:
    """Per guild: its welcome rule's `trigger` (`onboarding_complete` -> `onboarded`)."""

    def mode(community: str) -> JoinMode:
        try:
            settings = config.for_community(community).rule_settings("welcome")
        except KeyError:
            return "join"
        trigger = getattr(settings, "trigger", "join")
        return "onboarded" if trigger == "onboarding_complete" else "join"

    return mode
