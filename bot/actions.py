"""Core actions: what rules ask the adapter to do, as serialisable data."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class Button(BaseModel):
    """A button standing for a `/circle` command; without buttons, the command is shown as text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    command: str
    style: Literal["primary", "danger", "default"] = "default"


class CardSection(BaseModel):
    """One titled block of lines in a card."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    heading: str = ""
    lines: tuple[str, ...] = ()


class Card(BaseModel):
    """Structured content (digests, nudges) that each platform renders its own way."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    sections: tuple[CardSection, ...] = ()
    footer: str = ""


class Action(BaseModel):
    """Fields every action carries; `tag` lets the rule recognise the result later."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    community: str
    text: str = ""
    buttons: tuple[Button, ...] = ()
    card: Card | None = None
    tag: str | None = None


class Post(Action):
    """Post in a channel (in `thread` when given)."""

    kind: Literal["post"] = "post"
    channel: str
    thread: str | None = None


class Reply(Action):
    """Reply to a message: in its thread where threads exist, else as a platform reply."""

    kind: Literal["reply"] = "reply"
    channel: str
    message_id: str
    thread: str | None = None


class DirectMessage(Action):
    """Send a direct message to a member."""

    kind: Literal["dm"] = "dm"
    user: str


class Ephemeral(Action):
    """A message only `user` sees in `channel`; degrades to a DM without ephemeral support."""

    kind: Literal["ephemeral"] = "ephemeral"
    channel: str
    user: str


class Respond(Action):
    """Answer a command or button press; private unless `public`."""

    kind: Literal["respond"] = "respond"
    channel: str
    user: str
    reply_handle: str | None = None
    public: bool = False


class React(Action):
    """Add a reaction to a message."""

    kind: Literal["react"] = "react"
    channel: str
    message_id: str
    emoji: str


class Hide(Action):
    """Hide or delete a message (held for review); the content is kept by the rule."""

    kind: Literal["hide"] = "hide"
    channel: str
    message_id: str


class NotifyModerators(Action):
    """Tell the moderators: their channel if configured, else a DM to each moderator."""

    kind: Literal["notify_moderators"] = "notify_moderators"


class SetTags(Action):
    """Set tags on a forum post (e.g. the solved tag)."""

    kind: Literal["set_tags"] = "set_tags"
    channel: str
    thread: str
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


AnyAction = Annotated[
    Post | Reply | DirectMessage | Ephemeral | Respond | React | Hide | NotifyModerators | SetTags,
    Field(discriminator="kind"),
]

ACTION_ADAPTER: TypeAdapter[AnyAction] = TypeAdapter(AnyAction)


def action_from_json(data: dict[str, object]) -> Action:
    """Rebuild an action stored in the outbox."""
    return ACTION_ADAPTER.validate_python(data)


class ActionResult(BaseModel):
    """What the adapter reports after executing an action."""

    model_config = ConfigDict(frozen=True)

    message_id: str | None = None
    channel: str | None = None
    detail: str | None = None
