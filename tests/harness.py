"""A test harness shipped as fixtures: push events into the real engine, pop what the bot did."""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.actions import Action, ActionResult, Post, Reply
from bot.adapter import Capabilities, PermanentError, TransientError
from bot.circle_config import CircleConfig
from bot.clock import SimulatedClock
from bot.durations import parse_duration
from bot.engine import Engine
from bot.events import (
    ButtonPressed,
    CommandInvoked,
    Event,
    MemberJoined,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)
from bot.rule import RuleRegistry, default_registry
from bot.simulation import Simulation
from bot.storage.db import Database

COMMUNITY = "test:circle"
MONDAY_9AM = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class RecordingAdapter:
    """An in-memory adapter that records every executed action and can be told to fail."""

    platform = "test"

    def __init__(self, capabilities: Capabilities | None = None) -> None:
        self.capabilities = capabilities or Capabilities(forum_tags=True, rich_cards=True)
        self.executed: list[Action] = []
        self.failures: list[Exception] = []
        self._ids = itertools.count(1)

    async def start(self, sink: Any) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def execute(self, action: Action) -> ActionResult:
        if self.failures:
            raise self.failures.pop(0)
        self.executed.append(action)
        message_id = f"bot{next(self._ids)}" if isinstance(action, Post | Reply) else None
        return ActionResult(message_id=message_id)

    def fail_next(self, error: TransientError | PermanentError) -> None:
        self.failures.append(error)


class Harness:
    """The whole core (engine, storage, rules, simulated clock) behind a few verbs."""

    def __init__(self, engine: Engine, adapter: RecordingAdapter, clock: SimulatedClock) -> None:
        self.engine = engine
        self.adapter = adapter
        self.clock = clock
        self.simulation = Simulation(engine, clock)
        self.community = COMMUNITY
        self._ids = itertools.count(1)
        self._popped = 0

    @classmethod
    async def create(
        cls,
        database_url: str,
        config_yaml: str = "",
        *,
        registry: RuleRegistry | None = None,
        capabilities: Capabilities | None = None,
        start: datetime = MONDAY_9AM,
    ) -> Harness:
        config = CircleConfig.from_text(config_yaml, registry or default_registry(), source="test")
        database = Database(database_url)
        await database.upgrade()
        clock = SimulatedClock(start)
        adapter = RecordingAdapter(capabilities)
        engine = Engine(database=database, config=config, clock=clock, adapters={"test": adapter})
        await engine.register_community(COMMUNITY, "test circle")
        return cls(engine, adapter, clock)

    async def close(self) -> None:
        await self.engine.database.dispose()

    # what the bot did ---------------------------------------------------------------------

    @property
    def sent(self) -> list[Action]:
        return list(self.adapter.executed)

    def pop(self) -> list[Action]:
        """Actions executed since the last pop."""
        new = self.adapter.executed[self._popped :]
        self._popped = len(self.adapter.executed)
        return new

    # events ---------------------------------------------------------------------------------

    def _common(self, user: str, **extra: Any) -> dict[str, Any]:
        return {
            "platform": "test",
            "event_id": f"ev{next(self._ids)}",
            "community": self.community,
            "at": self.clock.now(),
            "user": user,
            "user_name": user,
            **extra,
        }

    async def send(self, event: Event) -> Event:
        await self.engine.handle(event)
        return event

    async def join(self, user: str, **extra: Any) -> MemberJoined:
        event = MemberJoined(**self._common(user, **extra))
        await self.send(event)
        return event

    async def message(
        self, user: str, text: str, *, channel: str = "general", **extra: Any
    ) -> MessagePosted:
        message_id = extra.pop("message_id", f"m{next(self._ids)}")
        common = self._common(user, **{k: extra.pop(k) for k in list(extra) if k in _EVENT_KEYS})
        event = MessagePosted(
            **common,
            channel=channel,
            channel_name=channel,
            message_id=message_id,
            text=text,
            **extra,
        )
        await self.send(event)
        return event

    async def edit(self, message: MessagePosted, text: str) -> None:
        await self.send(
            MessageEdited(
                **self._common(message.user),
                channel=message.channel,
                message_id=message.message_id,
                text=text,
                thread=message.thread,
            )
        )

    async def delete(self, message: MessagePosted, *, by: str | None = None) -> None:
        await self.send(
            MessageDeleted(
                **self._common(by or message.user),
                channel=message.channel,
                message_id=message.message_id,
                thread=message.thread,
            )
        )

    async def react(self, user: str, message: MessagePosted, emoji: str, **extra: Any) -> None:
        await self.send(
            ReactionAdded(
                **self._common(user, **extra),
                channel=message.channel,
                message_id=message.message_id,
                emoji=emoji,
                message_author=message.user,
            )
        )

    async def unreact(self, user: str, message: MessagePosted, emoji: str) -> None:
        await self.send(
            ReactionRemoved(
                **self._common(user),
                channel=message.channel,
                message_id=message.message_id,
                emoji=emoji,
                message_author=message.user,
            )
        )

    async def command(
        self, user: str, text: str, *, channel: str = "general", **extra: Any
    ) -> list[Action]:
        """Run `/circle text` as `user` and return what the bot did in response."""
        self.pop()
        await self.send(CommandInvoked(**self._common(user, **extra), channel=channel, text=text))
        return self.pop()

    async def press(
        self, user: str, command: str, *, channel: str = "general", **extra: Any
    ) -> list[Action]:
        self.pop()
        await self.send(
            ButtonPressed(**self._common(user, **extra), channel=channel, command=command)
        )
        return self.pop()

    async def advance(self, duration: str | timedelta) -> None:
        """Let simulated time pass; deadlines and jobs fire at their own moments."""
        delta = parse_duration(duration)
        await self.simulation.advance_to(self.clock.now() + delta)


_EVENT_KEYS = {"is_bot", "is_admin", "roles", "user_name"}


def postgres_url() -> str | None:
    """The PostgreSQL URL for tests, when CI or a developer provides one."""
    return os.environ.get("CIRCLEBOT_TEST_POSTGRES_URL") or None


def texts(actions: Sequence[Action]) -> list[str]:
    return [a.text for a in actions]
