"""The adapter contract: platform I/O behind `start(sink)`, `execute(action)` and capabilities."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.actions import Action, ActionResult
from bot.events import Event

EventSink = Callable[[Event], Awaitable[object]]


@dataclass(frozen=True)
class Capabilities:
    """What a platform can do; the engine degrades gracefully where it cannot."""

    threads: bool = True
    reactions: bool = True
    buttons: bool = True
    ephemeral: bool = True
    hide: bool = True
    forum_tags: bool = False
    direct_messages: bool = True
    rich_cards: bool = False
    effects: bool = True
    """False: executing an action changes nothing outside the bot (replay's adapter only
    records), so the outbox may send and mark a claimed batch in one transaction."""


class AdapterError(Exception):
    """Base class for errors an adapter raises while executing an action."""


class TransientError(AdapterError):
    """Worth retrying later (rate limits, timeouts); honour `retry_after` seconds when given."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(AdapterError):
    """Retrying will not help (closed DMs, missing permission); `code` names the cause."""

    def __init__(self, message: str, *, code: str = "permanent", tell_moderators: bool = True):
        super().__init__(message)
        self.code = code
        self.tell_moderators = tell_moderators


class Adapter(Protocol):
    """A platform connection: turns payloads into events and executes actions."""

    platform: str
    capabilities: Capabilities

    async def start(self, sink: EventSink) -> None:
        """Begin delivering events to `sink`; returns when the adapter stops."""
        ...

    async def stop(self) -> None:
        """Stop taking events and close connections."""
        ...

    async def execute(self, action: Action) -> ActionResult:
        """Carry out one action; raise TransientError or PermanentError on failure."""
        ...


def split_community(community: str) -> tuple[str, str]:
    """Split `platform:raw_id` into its parts."""
    platform, _, raw = community.partition(":")
    if not raw:
        raise ValueError(f"community id {community!r} must look like 'platform:id'")
    return platform, raw
