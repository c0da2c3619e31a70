"""Helpers of the prompts tests: a harness with the prompts rule alone, and small finders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.actions import Action, Post
from bot.events import MessagePosted
from bot.rule import RuleRegistry
from rules.prompts import Prompts
from tests.harness import COMMUNITY, MONDAY_9AM, Harness

MODS = "community:\n  timezone: {tz}\n  moderators:\n    users: [mod]\n"


async def prompts_harness(
    url: str, config: str = "", *, start: datetime = MONDAY_9AM, timezone: str = "UTC"
) -> Harness:
    """A harness running only the prompts rule; `mod` is a moderator."""
    text = MODS.format(tz=timezone) + config
    return await Harness.create(url, text, registry=RuleRegistry([Prompts]), start=start)


def prompt_posts(actions: Sequence[Action]) -> list[Post]:
    return [a for a in actions if isinstance(a, Post) and (a.tag or "").startswith("prompt:")]


def question_of(post: Post) -> str:
    """The library text inside a posted prompt (the line quoted with `> `)."""
    return next(line[2:] for line in post.text.splitlines() if line.startswith("> "))


def message_for(post_id: str, *, channel: str, author: str = "circlebot") -> MessagePosted:
    """A stand-in for a message the bot posted, so tests can react or reply to it."""
    return MessagePosted(
        platform="test",
        event_id=f"bot-{post_id}",
        community=COMMUNITY,
        at=MONDAY_9AM,
        user=author,
        channel=channel,
        message_id=post_id,
        is_bot=True,
    )
