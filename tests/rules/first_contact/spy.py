"""A rule that runs after the guard (like questions) and records the messages it sees."""

from __future__ import annotations

from typing import ClassVar

from bot.actions import Action
from bot.context import RuleContext
from bot.events import Event, MessagePosted
from bot.rule import Rule


class SpyRule(Rule):
    """Records every message id it is shown; the guard must hide held ones from it."""

    name = "spy"
    handles = (MessagePosted,)
    priority = 50
    seen: ClassVar[list[str]] = []

    async def on_event(self, event: Event, ctx: RuleContext) -> list[Action]:
        assert isinstance(event, MessagePosted)
        self.seen.append(event.message_id)
        return []
