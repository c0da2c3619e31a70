"""Core events: frozen pydantic models that adapters build from platform payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Event(BaseModel):
    """Fields every event carries; `community` is `platform:raw_id`, unique across platforms."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    platform: str
    event_id: str
    community: str
    at: AwareDatetime
    user: str
    user_name: str | None = None
    is_bot: bool = False
    is_admin: bool = False
    roles: tuple[str, ...] = ()

    @property
    def dedup_key(self) -> str:
        """Key for the inbox: the same platform event twice is handled once."""
        return f"{self.platform}:{self.event_id}"


class MemberJoined(Event):
    """A member joined the community (or finished onboarding, where configured)."""

    kind: Literal["member_joined"] = "member_joined"
    channel: str | None = None


class MemberLeft(Event):
    """A member left the community."""

    kind: Literal["member_left"] = "member_left"
    channel: str | None = None


class MessagePosted(Event):
    """A message in a channel, a thread, or a forum post; `thread` is the root message id."""

    kind: Literal["message"] = "message"
    channel: str
    message_id: str
    text: str = ""
    thread: str | None = None
    reply_to: str | None = None
    mentions: tuple[str, ...] = ()
    mass_mention: bool = False
    is_direct: bool = False
    is_forum_post: bool = False
    channel_name: str | None = None
    attachments: tuple[str, ...] = ()
    permalink: str | None = None


class MessageEdited(Event):
    """A message's text changed."""

    kind: Literal["message_edited"] = "message_edited"
    channel: str
    message_id: str
    text: str = ""
    thread: str | None = None


class MessageDeleted(Event):
    """A message was deleted."""

    kind: Literal["message_deleted"] = "message_deleted"
    channel: str
    message_id: str
    thread: str | None = None


class ReactionAdded(Event):
    """A reaction was added to a message; `emoji` is a name without colons or a unicode char."""

    kind: Literal["reaction_added"] = "reaction_added"
    channel: str
    message_id: str
    emoji: str
    message_author: str | None = None


class ReactionRemoved(Event):
    """A reaction was removed from a message."""

    kind: Literal["reaction_removed"] = "reaction_removed"
    channel: str
    message_id: str
    emoji: str
    message_author: str | None = None


class TagsChanged(Event):
    """A forum post's tags changed (Discord forum channels); `thread` is the post."""

    kind: Literal["tags_changed"] = "tags_changed"
    channel: str
    thread: str
    tags: tuple[str, ...] = ()


class CommandInvoked(Event):
    """A `/circle ...` command; `text` is everything after `/circle`."""

    kind: Literal["command"] = "command"
    channel: str
    text: str = ""
    reply_handle: str | None = None


class ButtonPressed(Event):
    """A button press; `command` is the `/circle` command the button stands for."""

    kind: Literal["button"] = "button"
    channel: str
    command: str
    message_id: str | None = None
    reply_handle: str | None = None


AnyEvent = Annotated[
    MemberJoined
    | MemberLeft
    | MessagePosted
    | MessageEdited
    | MessageDeleted
    | ReactionAdded
    | ReactionRemoved
    | TagsChanged
    | CommandInvoked
    | ButtonPressed,
    Field(discriminator="kind"),
]


def event_time(event: Event) -> datetime:
    """When the event happened (helper for sorting)."""
    return event.at
