"""Pure functions of the Discord adapter: `/circle` and button interactions -> core events."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.discord.directory import (
    BUTTON_PREFIX,
    PLATFORM,
    Lookup,
    Payload,
    Place,
    Who,
    as_id,
    as_list,
    as_map,
    place,
    snowflake_time,
    who,
)
from bot.events import ButtonPressed, CommandInvoked


@dataclass(frozen=True)
class CommandShape:
    """The declared options of one subcommand, in order (text is built in this order)."""

    name: str
    options: tuple[str, ...] = ()


def _quote(value: str) -> str:
    if value and not re.search(r"\s|\"|'", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def command_line(subcommand: str, values: Sequence[str]) -> str:
    """`claim Q12`: the subcommand, then option values (quoted when not last and spaced)."""
    parts = [subcommand]
    present = [v for v in values if v]
    for index, value in enumerate(present):
        parts.append(value if index == len(present) - 1 else _quote(value))
    return " ".join(parts).strip()


def command_text(data: Payload, shapes: Mapping[str, CommandShape]) -> str | None:
    """The core command line of a `/circle sub opt:value` interaction's `data`."""
    options = as_list(data.get("options"))
    if not options:
        return "help"
    sub = as_map(options[0])
    name = sub.get("name")
    if sub.get("type") != 1 or not isinstance(name, str) or not name:
        return None
    given: dict[str, str] = {}
    for option in as_list(sub.get("options")):
        option = as_map(option)
        key, value = option.get("name"), option.get("value")
        if (
            isinstance(key, str)
            and isinstance(value, str | int | float)
            and not isinstance(value, bool)
        ):
            given[key] = str(value).strip()
        elif isinstance(key, str) and isinstance(value, bool):
            given[key] = "yes" if value else "no"
    shape = shapes.get(name, CommandShape(name, tuple(given)))
    ordered = [given[o] for o in shape.options if o in given]
    ordered += [v for k, v in given.items() if k not in shape.options]
    return command_line(name, ordered)


def _interaction_actor(data: Payload, lookup: Lookup) -> tuple[Place, Who, str] | None:
    interaction_id = as_id(data.get("id"))
    channel_id = as_id(data.get("channel_id")) or as_id(as_map(data.get("channel")).get("id"))
    guild_id = as_id(data.get("guild_id"))
    member = as_map(data.get("member"))
    user = as_map(member.get("user")) or as_map(data.get("user"))
    if interaction_id is None or channel_id is None:
        return None
    where = place(lookup, guild_id, channel_id)
    actor = who(lookup, guild_id, user, member)
    if where is None or actor is None:
        return None
    return where, actor, interaction_id


def command_invoked(
    data: Payload, lookup: Lookup, *, shapes: Mapping[str, CommandShape], reply_handle: str
) -> CommandInvoked | None:
    """An application command interaction (type 2) -> CommandInvoked."""
    if data.get("type") != 2:
        return None
    found = _interaction_actor(data, lookup)
    text = command_text(as_map(data.get("data")), shapes)
    if found is None or text is None:
        return None
    where, actor, interaction_id = found
    return CommandInvoked(
        platform=PLATFORM,
        event_id=f"interaction:{interaction_id}",
        community=where.community,
        at=snowflake_time(interaction_id),
        **actor.fields(),
        channel=where.channel,
        text=text,
        reply_handle=reply_handle,
    )


CIRCLE_COMMANDS = frozenset({"circle", "circle-mod"})


def is_circle_interaction(data: Payload) -> bool:
    """Whether an INTERACTION_CREATE is a `/circle` command or a circle button press."""
    inner = as_map(data.get("data"))
    if data.get("type") == 2:
        name = inner.get("name")
        return isinstance(name, str) and name in CIRCLE_COMMANDS
    return data.get("type") == 3 and button_command(inner.get("custom_id")) is not None


def button_command(custom_id: Any) -> str | None:
    """The core command a circle button stands for (`circle:claim 12` -> `claim 12`)."""
    if not isinstance(custom_id, str) or not custom_id.startswith(BUTTON_PREFIX):
        return None
    command = custom_id[len(BUTTON_PREFIX) :].strip()
    return command or None


def button_pressed(data: Payload, lookup: Lookup, *, reply_handle: str) -> ButtonPressed | None:
    """A component interaction (type 3) on a circle button -> ButtonPressed."""
    if data.get("type") != 3:
        return None
    command = button_command(as_map(data.get("data")).get("custom_id"))
    found = _interaction_actor(data, lookup)
    if command is None or found is None:
        return None
    where, actor, interaction_id = found
    return ButtonPressed(
        platform=PLATFORM,
        event_id=f"interaction:{interaction_id}",
        community=where.community,
        at=snowflake_time(interaction_id),
        **actor.fields(),
        channel=where.channel,
        command=command,
        message_id=as_id(as_map(data.get("message")).get("id")),
        reply_handle=reply_handle,
    )
