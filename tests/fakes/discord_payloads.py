"""Builders for Discord API v10 JSON payloads (users, members, channels, guilds, messages)."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

Payload = dict[str, Any]

DISCORD_EPOCH_MS = 1420070400000

# Channel types (Discord API v10).
GUILD_TEXT = 0
DM = 1
GUILD_CATEGORY = 4
PUBLIC_THREAD = 11
GUILD_FORUM = 15

# Message types.
DEFAULT_MESSAGE = 0
REPLY_MESSAGE = 19

# Permission bit sets used by the fake world.
ALL_PERMISSIONS = str((1 << 50) - 1)
MEMBER_PERMISSIONS = str(
    (1 << 10) | (1 << 11) | (1 << 6) | (1 << 16) | (1 << 31) | (1 << 38) | (1 << 35)
)
MODERATOR_PERMISSIONS = str(int(MEMBER_PERMISSIONS) | (1 << 13) | (1 << 40) | (1 << 34))

_counter = itertools.count(1)


def snowflake() -> int:
    """Return a fresh, realistic snowflake (timestamp-based, unique in this process)."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def iso_now() -> str:
    """Return the current UTC time in Discord's ISO-8601 format."""
    return datetime.now(UTC).isoformat()


def user(*, user_id: int, username: str, bot: bool = False) -> Payload:
    """A user object."""
    return {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": username.title(),
        "avatar": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
    }


def role(*, role_id: int, name: str, permissions: str, position: int = 0) -> Payload:
    """A guild role object."""
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": permissions,
        "managed": False,
        "mentionable": True,
        "flags": 0,
        "tags": {},
    }


def member(
    user_payload: Payload, *, roles: list[int] | None = None, pending: bool = False
) -> Payload:
    """A guild member object (no guild_id; add it for gateway member events)."""
    return {
        "user": user_payload,
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in roles or []],
        "joined_at": iso_now(),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": pending,
        "communication_disabled_until": None,
    }


def text_channel(
    *, channel_id: int, guild_id: int, name: str, position: int = 0, topic: str | None = None
) -> Payload:
    """A guild text channel object."""
    return {
        "id": str(channel_id),
        "type": GUILD_TEXT,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "topic": topic,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
        "default_auto_archive_duration": 1440,
        "flags": 0,
    }


def forum_tag(*, tag_id: int, name: str, moderated: bool = False) -> Payload:
    """A forum channel tag object."""
    return {
        "id": str(tag_id),
        "name": name,
        "moderated": moderated,
        "emoji_id": None,
        "emoji_name": None,
    }


def forum_channel(
    *, channel_id: int, guild_id: int, name: str, tags: list[Payload], position: int = 0
) -> Payload:
    """A guild forum channel object with available tags."""
    payload = text_channel(channel_id=channel_id, guild_id=guild_id, name=name, position=position)
    payload.update(
        {
            "type": GUILD_FORUM,
            "available_tags": tags,
            "default_reaction_emoji": None,
            "default_sort_order": None,
            "default_forum_layout": 0,
            "default_thread_rate_limit_per_user": 0,
        }
    )
    return payload


def thread_channel(
    *,
    thread_id: int,
    guild_id: int,
    parent_id: int,
    owner_id: int,
    name: str,
    applied_tags: list[int] | None = None,
) -> Payload:
    """A public thread object (a forum post when its parent is a forum channel)."""
    return {
        "id": str(thread_id),
        "type": PUBLIC_THREAD,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "flags": 0,
        "applied_tags": [str(t) for t in applied_tags or []],
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": iso_now(),
            "locked": False,
            "invitable": True,
            "create_timestamp": iso_now(),
        },
    }


def dm_channel(*, channel_id: int, recipient: Payload) -> Payload:
    """A DM channel object."""
    return {
        "id": str(channel_id),
        "type": DM,
        "last_message_id": None,
        "recipients": [recipient],
        "flags": 0,
    }


def message(
    *,
    channel_id: int,
    author: Payload,
    content: str,
    guild_id: int | None = None,
    message_id: int | None = None,
    reply_to: int | None = None,
    components: list[Payload] | None = None,
    author_member: Payload | None = None,
) -> Payload:
    """A message object; `reply_to` adds a message_reference (type 19, reply)."""
    payload: Payload = {
        "id": str(message_id or snowflake()),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "mention_channels": [],
        "attachments": [],
        "embeds": [],
        "reactions": [],
        "pinned": False,
        "type": DEFAULT_MESSAGE,
        "flags": 0,
        "components": components or [],
    }
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
        if author_member is not None:
            partial = {k: v for k, v in author_member.items() if k != "user"}
            payload["member"] = partial
    if reply_to is not None:
        payload["type"] = REPLY_MESSAGE
        payload["message_reference"] = {
            "type": 0,
            "message_id": str(reply_to),
            "channel_id": str(channel_id),
            **({"guild_id": str(guild_id)} if guild_id is not None else {}),
            "fail_if_not_exists": False,
        }
        payload["referenced_message"] = None
    return payload


def button_row(*, custom_id: str, label: str, style: int = 1) -> Payload:
    """An action row holding one button component."""
    return {
        "type": 1,
        "components": [{"type": 2, "style": style, "label": label, "custom_id": custom_id}],
    }


def application_info(*, app_id: int, bot_user: Payload, owner: Payload) -> Payload:
    """The GET /oauth2/applications/@me object."""
    return {
        "id": str(app_id),
        "name": bot_user["username"],
        "icon": None,
        "description": "circlebot test application",
        "summary": "",
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": owner,
        "team": None,
        "verify_key": "0" * 64,
        "flags": (1 << 15) | (1 << 19),
        "bot": bot_user,
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "approximate_guild_count": 1,
    }


def application_command(
    command: Payload, *, app_id: int, command_id: int, guild_id: int | None = None
) -> Payload:
    """Echo a command sent by a client as Discord stores it (ids, version, defaults)."""
    stored: Payload = {
        "type": 1,
        "description": "",
        "options": [],
        "default_member_permissions": None,
        "nsfw": False,
        "contexts": None,
        "integration_types": [0],
        **command,
        "id": str(command_id),
        "application_id": str(app_id),
        "version": str(snowflake()),
    }
    if guild_id is not None:
        stored["guild_id"] = str(guild_id)
    return stored
