"""Builders for gateway dispatch payloads (reactions, members, threads, interactions)."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from tests.fakes import discord_payloads as p
from tests.fakes.discord_payloads import Payload, snowflake
from tests.fakes.discord_world import DiscordWorld

# Application command option types.
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN, NUMBER = 1, 2, 3, 4, 5, 10

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


def emoji(name: str) -> Payload:
    """A unicode (or custom, 'name:id') emoji object."""
    if ":" in name:
        emoji_name, emoji_id = name.split(":", 1)
        return {"id": emoji_id, "name": emoji_name, "animated": False}
    return {"id": None, "name": name}


def reaction_add(
    world: DiscordWorld, *, channel_id: int, message_id: int, user_id: int, emoji_name: str
) -> Payload:
    """A MESSAGE_REACTION_ADD payload (works for messages the client never saw)."""
    payload: Payload = {
        "user_id": str(user_id),
        "channel_id": str(channel_id),
        "message_id": str(message_id),
        "emoji": emoji(emoji_name),
        "burst": False,
        "burst_colors": [],
        "type": 0,
    }
    guild_id = world.guild_of(channel_id)
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
        if user_id in world.members:
            payload["member"] = copy.deepcopy(world.members[user_id])
    author = world.messages.get(message_id, {}).get("author")
    if author is not None:
        payload["message_author_id"] = author["id"]
    return payload


def reaction_remove(
    world: DiscordWorld, *, channel_id: int, message_id: int, user_id: int, emoji_name: str
) -> Payload:
    """A MESSAGE_REACTION_REMOVE payload."""
    payload = reaction_add(
        world, channel_id=channel_id, message_id=message_id, user_id=user_id, emoji_name=emoji_name
    )
    payload.pop("member", None)
    payload.pop("message_author_id", None)
    payload.pop("burst_colors", None)
    return payload


def message_delete(world: DiscordWorld, *, channel_id: int, message_id: int) -> Payload:
    """A MESSAGE_DELETE payload."""
    payload: Payload = {"id": str(message_id), "channel_id": str(channel_id)}
    guild_id = world.guild_of(channel_id)
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    return payload


def _option(name: str, value: Any) -> Payload:
    if isinstance(value, bool):
        kind = BOOLEAN
    elif isinstance(value, int):
        kind = INTEGER
    elif isinstance(value, float):
        kind = NUMBER
    else:
        kind, value = STRING, str(value)
    return {"name": name, "type": kind, "value": value}


def command_options(subcommand: str | None, options: dict[str, Any]) -> list[Payload]:
    """Options for `/cmd [group] [sub] k:v`; `subcommand` may be "sub" or "group sub"."""
    leaves = [_option(k, v) for k, v in options.items()]
    if not subcommand:
        return leaves
    parts = subcommand.split()
    nested: list[Payload] = [{"name": parts[-1], "type": SUB_COMMAND, "options": leaves}]
    if len(parts) == 2:
        nested = [{"name": parts[0], "type": SUB_COMMAND_GROUP, "options": nested}]
    return nested


def _interaction_base(world: DiscordWorld, *, kind: int, channel_id: int, user_id: int) -> Payload:
    member = copy.deepcopy(world.members[user_id])
    is_moderator = str(world.moderator_role_id) in member["roles"] or user_id == world.owner_id
    member["permissions"] = p.MODERATOR_PERMISSIONS if is_moderator else p.MEMBER_PERMISSIONS
    return {
        "id": str(snowflake()),
        "application_id": str(world.app_id),
        "type": kind,
        "guild_id": str(world.guild_id),
        "guild": {"id": str(world.guild_id), "locale": "en-US", "features": ["COMMUNITY"]},
        "channel_id": str(channel_id),
        "channel": copy.deepcopy(world.channels[channel_id]),
        "member": member,
        "token": "itoken-" + secrets.token_urlsafe(24),
        "version": 1,
        "app_permissions": p.ALL_PERMISSIONS,
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "entitlement_sku_ids": [],
        "authorizing_integration_owners": {"0": str(world.guild_id)},
        "context": 0,
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    }


def slash_command(
    world: DiscordWorld,
    *,
    name: str,
    command_id: int,
    channel_id: int,
    user_id: int,
    subcommand: str | None = None,
    options: dict[str, Any] | None = None,
) -> Payload:
    """An INTERACTION_CREATE payload for a chat-input command in the guild."""
    payload = _interaction_base(world, kind=2, channel_id=channel_id, user_id=user_id)
    payload["data"] = {
        "id": str(command_id),
        "name": name,
        "type": 1,
        "guild_id": str(world.guild_id),
        "options": command_options(subcommand, options or {}),
    }
    return payload


def button_press(world: DiscordWorld, *, custom_id: str, message: Payload, user_id: int) -> Payload:
    """An INTERACTION_CREATE payload for a button click on `message`."""
    channel_id = int(message["channel_id"])
    payload = _interaction_base(world, kind=3, channel_id=channel_id, user_id=user_id)
    payload["data"] = {"custom_id": custom_id, "component_type": 2}
    payload["message"] = copy.deepcopy(message)
    return payload
