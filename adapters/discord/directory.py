"""What translation knows about guilds (channels, threads, roles), and safe payload readers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

PLATFORM = "discord"
Payload = Mapping[str, Any]

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ADMIN_BITS = ADMINISTRATOR | MANAGE_GUILD
FORUM_TYPES = frozenset({15, 16})  # GUILD_FORUM, GUILD_MEDIA
THREAD_TYPES = frozenset({10, 11, 12})  # announcement, public, private threads
MEMBER_MESSAGE_TYPES = frozenset({0, 19})  # DEFAULT, REPLY; system messages are dropped
DISCORD_EPOCH_MS = 1420070400000
BUTTON_PREFIX = "circle:"
PERMALINK = "https://discord.com/channels/{guild}/{channel}/{message}"


@dataclass(frozen=True)
class ChannelInfo:
    """What translation needs to know about a channel or thread."""

    id: str
    name: str | None = None
    kind: int = 0
    parent_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    """Forum channels: tag id -> tag name."""

    @property
    def is_thread(self) -> bool:
        return self.kind in THREAD_TYPES

    @property
    def is_forum(self) -> bool:
        return self.kind in FORUM_TYPES


@dataclass(frozen=True)
class RoleInfo:
    """A guild role: its name and permission bits."""

    name: str
    permissions: int = 0


class Lookup(Protocol):
    """Read-only view of the guilds the bot is in (the client's cache, or a dict in tests)."""

    @property
    def bot_id(self) -> str: ...

    def channel(self, channel_id: str) -> ChannelInfo | None: ...

    def role(self, guild_id: str, role_id: str) -> RoleInfo | None: ...

    def owner(self, guild_id: str) -> str | None: ...

    def only_guild(self) -> str | None:
        """The guild id when the bot is in exactly one guild (DMs are attributed to it)."""
        ...


@dataclass
class StaticLookup:
    """A dict-backed Lookup (tests, and anything without a discord.py cache)."""

    bot: str
    channels: dict[str, ChannelInfo] = field(default_factory=dict)
    roles: dict[tuple[str, str], RoleInfo] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)

    @property
    def bot_id(self) -> str:
        return self.bot

    def channel(self, channel_id: str) -> ChannelInfo | None:
        return self.channels.get(channel_id)

    def role(self, guild_id: str, role_id: str) -> RoleInfo | None:
        return self.roles.get((guild_id, role_id))

    def owner(self, guild_id: str) -> str | None:
        return self.owners.get(guild_id)

    def only_guild(self) -> str | None:
        return next(iter(self.owners)) if len(self.owners) == 1 else None


# ----- small safe readers (payloads may be hostile or partial) ---------------------------


def as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def as_id(value: Any) -> str | None:
    """A snowflake as a string, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.isdigit() and len(value) <= 20:
        return value.lstrip("0") or "0"
    return None


def as_text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def community_id(guild_id: str) -> str:
    """The core community id of a guild."""
    return f"{PLATFORM}:{guild_id}"


def snowflake_time(snowflake: str) -> datetime:
    """When a snowflake was created (aware UTC)."""
    ms = (int(snowflake) >> 22) + DISCORD_EPOCH_MS
    try:
        return datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return datetime.fromtimestamp(DISCORD_EPOCH_MS / 1000, tz=UTC)


def as_timestamp(value: Any, fallback: datetime) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return fallback
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return fallback


def permalink(guild_id: str, channel_id: str, message_id: str) -> str:
    """The jump URL of a message (channel_id is the thread id for messages in threads)."""
    return PERMALINK.format(guild=guild_id, channel=channel_id, message=message_id)


def display_name(member: Payload, user: Payload) -> str | None:
    """Server nickname, else global display name, else username."""
    for value in (member.get("nick"), user.get("global_name"), user.get("username")):
        if isinstance(value, str) and value:
            return value
    return None


@dataclass(frozen=True)
class Who:
    """The acting user as the core sees them."""

    user: str
    user_name: str | None
    is_bot: bool
    is_admin: bool
    roles: tuple[str, ...]

    def fields(self) -> dict[str, Any]:
        """The actor fields every core event carries."""
        return {
            "user": self.user,
            "user_name": self.user_name,
            "is_bot": self.is_bot,
            "is_admin": self.is_admin,
            "roles": self.roles,
        }


def who(lookup: Lookup, guild_id: str | None, user: Payload, member: Payload) -> Who | None:
    """Identity, admin flag (administrator/manage_guild/owner) and roles (names and ids)."""
    user_id = as_id(user.get("id"))
    if user_id is None:
        return None
    roles: list[str] = []
    bits = 0
    if guild_id is not None:
        for raw_role in as_list(member.get("roles")):
            role_id = as_id(raw_role)
            if role_id is None:
                continue
            info = lookup.role(guild_id, role_id)
            roles.append(role_id)
            if info is not None:
                roles.append(info.name)
                bits |= info.permissions
        everyone = lookup.role(guild_id, guild_id)
        if everyone is not None:
            bits |= everyone.permissions
    computed = member.get("permissions")
    if isinstance(computed, str) and computed.isdigit():
        bits |= int(computed)
    owner = guild_id is not None and lookup.owner(guild_id) == user_id
    return Who(
        user=user_id,
        user_name=display_name(member, user),
        is_bot=user.get("bot") is True,
        is_admin=owner or bool(bits & ADMIN_BITS),
        roles=tuple(dict.fromkeys(roles)),
    )


@dataclass(frozen=True)
class Place:
    """Where a message lives; threads and forum posts are channels of their own on Discord."""

    guild_id: str
    community: str
    channel: str
    """The Discord channel id the message is in (the thread id inside a thread or forum post)."""
    channel_name: str | None
    """The channel's name; inside a thread, its parent's (so per-channel config by name applies)."""
    thread: str | None
    """The thread id (= its root message id) when inside a thread or forum post."""
    in_forum: bool
    is_direct: bool


def place(lookup: Lookup, guild_id: str | None, channel_id: str) -> Place | None:
    """Resolve a channel id: threads know their parent; DMs belong to the only guild."""
    if guild_id is None:
        only = lookup.only_guild()
        if only is None:
            return None
        return Place(only, community_id(only), channel_id, None, None, False, True)
    info = lookup.channel(channel_id)
    community = community_id(guild_id)
    if info is not None and info.is_thread and info.parent_id:
        parent = lookup.channel(info.parent_id)
        name = parent.name if parent else None
        in_forum = bool(parent and parent.is_forum)
        return Place(guild_id, community, channel_id, name, channel_id, in_forum, False)
    name = info.name if info else None
    return Place(guild_id, community, channel_id, name, None, False, False)
