"""Pure functions of the Discord adapter: raw gateway payloads -> core events."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from adapters.discord.directory import (
    MEMBER_MESSAGE_TYPES,
    PLATFORM,
    ChannelInfo,
    Lookup,
    Payload,
    RoleInfo,
    StaticLookup,
    as_id,
    as_list,
    as_map,
    as_text,
    as_timestamp,
    community_id,
    display_name,
    permalink,
    place,
    snowflake_time,
    who,
)
from bot.events import (
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
    TagsChanged,
)

__all__ = ["ChannelInfo", "JoinMode", "Lookup", "RoleInfo", "StaticLookup", "community_id"]

JoinMode = Literal["join", "onboarded"]
"""When MemberJoined fires: at GUILD_MEMBER_ADD, or once membership screening/onboarding is done."""


# ----- gateway events -----------------------------------------------------------------------


def message_created(data: Payload, lookup: Lookup) -> MessagePosted | None:
    """MESSAGE_CREATE -> MessagePosted (None for the bot's own, system and webhook messages)."""
    message_id = as_id(data.get("id"))
    channel_id = as_id(data.get("channel_id"))
    author = as_map(data.get("author"))
    if message_id is None or channel_id is None or as_id(author.get("id")) == lookup.bot_id:
        return None
    kind = data.get("type", 0)
    if not isinstance(kind, int) or kind not in MEMBER_MESSAGE_TYPES:
        return None
    if data.get("webhook_id") is not None:
        return None
    guild_id = as_id(data.get("guild_id"))
    where = place(lookup, guild_id, channel_id)
    actor = who(lookup, guild_id, author, as_map(data.get("member")))
    if where is None or actor is None:
        return None
    reference = as_map(data.get("message_reference"))
    reply_to = as_id(reference.get("message_id")) if data.get("type") == 19 else None
    mentions = tuple(
        m
        for m in (as_id(as_map(u).get("id")) for u in as_list(data.get("mentions")))
        if m is not None
    )
    attachments = tuple(
        url for url in (as_map(a).get("url") for a in as_list(data.get("attachments"))) if url
    )
    return MessagePosted(
        platform=PLATFORM,
        event_id=f"message:{message_id}",
        community=where.community,
        at=as_timestamp(data.get("timestamp"), snowflake_time(message_id)),
        **actor.fields(),
        channel=where.channel,
        channel_name=where.channel_name,
        message_id=message_id,
        text=as_text(data.get("content")),
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
    message_id = as_id(data.get("id"))
    channel_id = as_id(data.get("channel_id"))
    edited = data.get("edited_timestamp")
    if message_id is None or channel_id is None or "content" not in data:
        return None
    if not isinstance(edited, str):
        return None
    author = as_map(data.get("author"))
    if as_id(author.get("id")) == lookup.bot_id:
        return None
    guild_id = as_id(data.get("guild_id"))
    where = place(lookup, guild_id, channel_id)
    actor = who(lookup, guild_id, author, as_map(data.get("member")))
    if where is None or actor is None:
        return None
    return MessageEdited(
        platform=PLATFORM,
        event_id=f"edit:{message_id}:{edited}",
        community=where.community,
        at=as_timestamp(edited, snowflake_time(message_id)),
        **actor.fields(),
        channel=where.channel,
        message_id=message_id,
        text=as_text(data.get("content")),
        thread=where.thread,
    )


def message_deleted(data: Payload, lookup: Lookup, *, now: datetime) -> MessageDeleted | None:
    """MESSAGE_DELETE -> MessageDeleted (the deleter is unknown on Discord: user is empty)."""
    message_id = as_id(data.get("id"))
    channel_id = as_id(data.get("channel_id"))
    if message_id is None or channel_id is None:
        return None
    where = place(lookup, as_id(data.get("guild_id")), channel_id)
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
    user_id = as_id(data.get("user_id"))
    message_id = as_id(data.get("message_id"))
    channel_id = as_id(data.get("channel_id"))
    emoji = emoji_name(as_map(data.get("emoji")))
    if None in (user_id, message_id, channel_id, emoji) or user_id == lookup.bot_id:
        return None
    assert user_id and message_id and channel_id and emoji
    guild_id = as_id(data.get("guild_id"))
    where = place(lookup, guild_id, channel_id)
    member = as_map(data.get("member"))
    user = {"id": user_id, **as_map(member.get("user"))}
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
        **actor.fields(),
        channel=where.channel,
        message_id=message_id,
        emoji=emoji,
        message_author=as_id(data.get("message_author_id")),
    )


def _member_event(data: Payload, lookup: Lookup, now: datetime) -> MemberJoined | None:
    guild_id = as_id(data.get("guild_id"))
    user = as_map(data.get("user"))
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
        at=as_timestamp(joined, now),
        **actor.fields(),
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
    guild_id = as_id(data.get("guild_id"))
    user = as_map(data.get("user"))
    user_id = as_id(user.get("id"))
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
    return tuple(t for t in (as_id(x) for x in as_list(data.get("applied_tags"))) if t is not None)


def tags_changed(
    data: Payload, lookup: Lookup, *, seq: int | None, now: datetime
) -> TagsChanged | None:
    """THREAD_UPDATE of a forum post -> TagsChanged with the tag names now applied."""
    thread_id = as_id(data.get("id"))
    parent_id = as_id(data.get("parent_id"))
    guild_id = as_id(data.get("guild_id"))
    tag_ids = thread_tags(data)
    if None in (thread_id, parent_id, guild_id) or tag_ids is None:
        return None
    assert thread_id and parent_id and guild_id
    forum = lookup.channel(parent_id)
    if forum is None or not forum.is_forum:
        return None
    owner = as_id(data.get("owner_id")) or ""
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
