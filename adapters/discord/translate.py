"""Pure functions of the Discord adapter: raw gateway/interaction payloads -> core events."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from bot.events import (
    ButtonPressed,
    CommandInvoked,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
    TagsChanged,
)

PLATFORM = "discord"
Payload = Mapping[str, Any]
JoinMode = Literal["join", "onboarded"]
"""When MemberJoined fires: at GUILD_MEMBER_ADD, or once membership screening/onboarding is done."""

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


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _id(value: Any) -> str | None:
    """A snowflake as a string, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.isdigit() and len(value) <= 20:
        return value.lstrip("0") or "0"
    return None


def _text(value: Any) -> str:
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


def _timestamp(value: Any, fallback: datetime) -> datetime:
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


def who(lookup: Lookup, guild_id: str | None, user: Payload, member: Payload) -> Who | None:
    """Identity, admin flag (administrator/manage_guild/owner) and roles (names and ids)."""
    user_id = _id(user.get("id"))
    if user_id is None:
        return None
    roles: list[str] = []
    bits = 0
    if guild_id is not None:
        for raw_role in _list(member.get("roles")):
            role_id = _id(raw_role)
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


# ----- gateway events -----------------------------------------------------------------------


def message_created(data: Payload, lookup: Lookup) -> MessagePosted | None:
    """MESSAGE_CREATE -> MessagePosted (None for the bot's own, system and webhook messages)."""
    message_id = _id(data.get("id"))
    channel_id = _id(data.get("channel_id"))
    author = _map(data.get("author"))
    if message_id is None or channel_id is None or _id(author.get("id")) == lookup.bot_id:
        return None
    if data.get("type", 0) not in MEMBER_MESSAGE_TYPES or data.get("webhook_id") is not None:
        return None
    guild_id = _id(data.get("guild_id"))
    where = place(lookup, guild_id, channel_id)
    actor = who(lookup, guild_id, author, _map(data.get("member")))
    if where is None or actor is None:
        return None
    reference = _map(data.get("message_reference"))
    reply_to = _id(reference.get("message_id")) if data.get("type") == 19 else None
    mentions = tuple(
        m for m in (_id(_map(u).get("id")) for u in _list(data.get("mentions"))) if m is not None
    )
    attachments = tuple(
        url for url in (_map(a).get("url") for a in _list(data.get("attachments"))) if url
    )
    return MessagePosted(
        platform=PLATFORM,
        event_id=f"message:{message_id}",
        community=where.community,
        at=_timestamp(data.get("timestamp"), snowflake_time(message_id)),
        user=actor.user,
        user_name=actor.user_name,
        is_bot=actor.is_bot,
        is_admin=actor.is_admin,
        roles=actor.roles,
        channel=where.channel,
        channel_name=where.channel_name,
        message_id=message_id,
        text=_text(data.get("content")),
        thread=where.thread,
        reply_to=reply_to,
        mentions=mentions,
        mass_mention=data.get("mention_everyone") is True,
        is_direct=where.is_direct,
        is_forum_post=where.in_forum and message_id == where.thread,
        attachments=tuple(str(a) for a in attachments),
        permalink=None if where.is_direct else permalink(where.guild_id, channel_id, message_id),
    )


def message_updated(data: Payload, lookup: Lookup) -> MessageEdited | None:
    """MESSAGE_UPDATE with new content -> MessageEdited (embed-only updates are ignored)."""
    message_id = _id(data.get("id"))
    channel_id = _id(data.get("channel_id"))
    edited = data.get("edited_timestamp")
    if message_id is None or channel_id is None or "content" not in data:
        return None
    if not isinstance(edited, str):
        return None
    author = _map(data.get("author"))
    if _id(author.get("id")) == lookup.bot_id:
        return None
    guild_id = _id(data.get("guild_id"))
    where = place(lookup, guild_id, channel_id)
    actor = who(lookup, guild_id, author, _map(data.get("member")))
    if where is None or actor is None:
        return None
    return MessageEdited(
        platform=PLATFORM,
        event_id=f"edit:{message_id}:{edited}",
        community=where.community,
        at=_timestamp(edited, snowflake_time(message_id)),
        user=actor.user,
        user_name=actor.user_name,
        is_bot=actor.is_bot,
        is_admin=actor.is_admin,
        roles=actor.roles,
        channel=where.channel,
        message_id=message_id,
        text=_text(data.get("content")),
        thread=where.thread,
    )


def message_deleted(data: Payload, lookup: Lookup, *, now: datetime) -> MessageDeleted | None:
    """MESSAGE_DELETE -> MessageDeleted (the deleter is unknown on Discord: user is empty)."""
    message_id = _id(data.get("id"))
    channel_id = _id(data.get("channel_id"))
    if message_id is None or channel_id is None:
        return None
    where = place(lookup, _id(data.get("guild_id")), channel_id)
    if where is None:
        return None
    return MessageDeleted(
        platform=PLATFORM,
        event_id=f"delete:{message_id}",
        community=where.community,
        at=now,
        user="",
        channel=where.channel,
        message_id=message_id,
        thread=where.thread,
    )


def emoji_name(emoji: Payload) -> str | None:
    """Unicode emoji as the character, custom emoji by name."""
    name = emoji.get("name")
    return name if isinstance(name, str) and name else None


def reaction_changed(
    data: Payload, lookup: Lookup, *, added: bool, seq: int | None, now: datetime
) -> ReactionAdded | ReactionRemoved | None:
    """MESSAGE_REACTION_ADD/REMOVE -> ReactionAdded/Removed, cached message or not."""
    user_id = _id(data.get("user_id"))
    message_id = _id(data.get("message_id"))
    channel_id = _id(data.get("channel_id"))
    emoji = emoji_name(_map(data.get("emoji")))
    if None in (user_id, message_id, channel_id, emoji) or user_id == lookup.bot_id:
        return None
    assert user_id and message_id and channel_id and emoji
    guild_id = _id(data.get("guild_id"))
    where = place(lookup, guild_id, channel_id)
    member = _map(data.get("member"))
    user = {"id": user_id, **_map(member.get("user"))}
    actor = who(lookup, guild_id, user, member)
    if where is None or actor is None:
        return None
    kind = ReactionAdded if added else ReactionRemoved
    verb = "reaction_added" if added else "reaction_removed"
    return kind(
        platform=PLATFORM,
        event_id=f"{verb}:{message_id}:{user_id}:{emoji}:{seq if seq is not None else 0}",
        community=where.community,
        at=now,
        user=actor.user,
        user_name=actor.user_name,
        is_bot=actor.is_bot,
        is_admin=actor.is_admin,
        roles=actor.roles,
        channel=where.channel,
        message_id=message_id,
        emoji=emoji,
        message_author=_id(data.get("message_author_id")),
    )


def _member_event(data: Payload, lookup: Lookup, now: datetime) -> MemberJoined | None:
    guild_id = _id(data.get("guild_id"))
    user = _map(data.get("user"))
    if guild_id is None:
        return None
    actor = who(lookup, guild_id, user, data)
    if actor is None or actor.user == lookup.bot_id:
        return None
    joined = data.get("joined_at")
    stamp = joined if isinstance(joined, str) else "unknown"
    return MemberJoined(
        platform=PLATFORM,
        event_id=f"member_joined:{guild_id}:{actor.user}:{stamp}",
        community=community_id(guild_id),
        at=_timestamp(joined, now),
        user=actor.user,
        user_name=actor.user_name,
        is_bot=actor.is_bot,
        is_admin=actor.is_admin,
        roles=actor.roles,
    )


def member_added(
    data: Payload, lookup: Lookup, *, mode: JoinMode, now: datetime
) -> MemberJoined | None:
    """GUILD_MEMBER_ADD -> MemberJoined, unless `onboarded` mode waits for screening to end."""
    if mode == "onboarded" and data.get("pending") is True:
        return None
    return _member_event(data, lookup, now)


def member_updated(
    data: Payload, lookup: Lookup, *, was_pending: bool, mode: JoinMode, now: datetime
) -> MemberJoined | None:
    """GUILD_MEMBER_UPDATE pending -> not pending (screening/onboarding done) in `onboarded` mode.

    The event id is the same as a join's, so a join followed by onboarding is still one welcome.
    """
    if mode != "onboarded" or not was_pending or data.get("pending") is not False:
        return None
    return _member_event(data, lookup, now)


def member_removed(
    data: Payload, lookup: Lookup, *, seq: int | None, now: datetime
) -> MemberLeft | None:
    """GUILD_MEMBER_REMOVE -> MemberLeft."""
    guild_id = _id(data.get("guild_id"))
    user = _map(data.get("user"))
    user_id = _id(user.get("id"))
    if guild_id is None or user_id is None or user_id == lookup.bot_id:
        return None
    return MemberLeft(
        platform=PLATFORM,
        event_id=f"member_left:{guild_id}:{user_id}:{seq if seq is not None else 0}",
        community=community_id(guild_id),
        at=now,
        user=user_id,
        user_name=display_name({}, user),
        is_bot=user.get("bot") is True,
    )


def thread_tags(data: Payload) -> tuple[str, ...] | None:
    """The applied tag ids of a thread payload (None when the payload has none)."""
    if "applied_tags" not in data:
        return None
    return tuple(t for t in (_id(x) for x in _list(data.get("applied_tags"))) if t is not None)


def tags_changed(
    data: Payload, lookup: Lookup, *, seq: int | None, now: datetime
) -> TagsChanged | None:
    """THREAD_UPDATE of a forum post -> TagsChanged with the tag names now applied."""
    thread_id = _id(data.get("id"))
    parent_id = _id(data.get("parent_id"))
    guild_id = _id(data.get("guild_id"))
    tag_ids = thread_tags(data)
    if None in (thread_id, parent_id, guild_id) or tag_ids is None:
        return None
    assert thread_id and parent_id and guild_id
    forum = lookup.channel(parent_id)
    if forum is None or not forum.is_forum:
        return None
    owner = _id(data.get("owner_id")) or ""
    names = tuple(forum.tags.get(t, t) for t in tag_ids)
    return TagsChanged(
        platform=PLATFORM,
        event_id=f"tags:{thread_id}:{','.join(sorted(tag_ids))}:{seq if seq is not None else 0}",
        community=community_id(guild_id),
        at=now,
        user=owner,
        channel=thread_id,
        thread=thread_id,
        tags=names,
    )


# ----- interactions -------------------------------------------------------------------------


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
    options = _list(data.get("options"))
    if not options:
        return "help"
    sub = _map(options[0])
    name = sub.get("name")
    if sub.get("type") != 1 or not isinstance(name, str) or not name:
        return None
    given: dict[str, str] = {}
    for option in _list(sub.get("options")):
        option = _map(option)
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
    interaction_id = _id(data.get("id"))
    channel_id = _id(data.get("channel_id")) or _id(_map(data.get("channel")).get("id"))
    guild_id = _id(data.get("guild_id"))
    member = _map(data.get("member"))
    user = _map(member.get("user")) or _map(data.get("user"))
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
    text = command_text(_map(data.get("data")), shapes)
    if found is None or text is None:
        return None
    where, actor, interaction_id = found
    return CommandInvoked(
        platform=PLATFORM,
        event_id=f"interaction:{interaction_id}",
        community=where.community,
        at=snowflake_time(interaction_id),
        user=actor.user,
        user_name=actor.user_name,
        is_bot=actor.is_bot,
        is_admin=actor.is_admin,
        roles=actor.roles,
        channel=where.channel,
        text=text,
        reply_handle=reply_handle,
    )


CIRCLE_COMMANDS = frozenset({"circle", "circle-mod"})


def is_circle_interaction(data: Payload) -> bool:
    """Whether an INTERACTION_CREATE is a `/circle` command or a circle button press."""
    inner = _map(data.get("data"))
    if data.get("type") == 2:
        return inner.get("name") in CIRCLE_COMMANDS
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
    command = button_command(_map(data.get("data")).get("custom_id"))
    found = _interaction_actor(data, lookup)
    if command is None or found is None:
        return None
    where, actor, interaction_id = found
    return ButtonPressed(
        platform=PLATFORM,
        event_id=f"interaction:{interaction_id}",
        community=where.community,
        at=snowflake_time(interaction_id),
        user=actor.user,
        user_name=actor.user_name,
        is_bot=actor.is_bot,
        is_admin=actor.is_admin,
        roles=actor.roles,
        channel=where.channel,
        command=command,
        message_id=_id(_map(data.get("message")).get("id")),
        reply_handle=reply_handle,
    )
