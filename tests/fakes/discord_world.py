"""The fake Discord's state: one bot, one guild (channels, forum tags, roles, members), messages."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from tests.fakes import discord_payloads as p
from tests.fakes.discord_payloads import Payload, snowflake


@dataclass
class DiscordWorld:
    """Everything the fake serves: ids are attributes, payloads are built on demand."""

    token: str = "fake-bot-token"
    app_id: int = field(default_factory=snowflake)
    guild_id: int = field(default_factory=snowflake)
    general_id: int = field(default_factory=snowflake)
    forum_id: int = field(default_factory=snowflake)
    moderators_id: int = field(default_factory=snowflake)
    forum_post_id: int = field(default_factory=snowflake)
    text_thread_id: int = field(default_factory=snowflake)
    solved_tag_id: int = field(default_factory=snowflake)
    question_tag_id: int = field(default_factory=snowflake)
    moderator_role_id: int = field(default_factory=snowflake)
    owner_id: int = field(default_factory=snowflake)
    member_id: int = field(default_factory=snowflake)
    pending_id: int = field(default_factory=snowflake)
    moderator_id: int = field(default_factory=snowflake)
    guild_name: str = "Circle of Trust"
    users: dict[int, Payload] = field(default_factory=dict)
    members: dict[int, Payload] = field(default_factory=dict)
    channels: dict[int, Payload] = field(default_factory=dict)
    messages: dict[int, Payload] = field(default_factory=dict)
    roles: list[Payload] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bot_id = self.app_id
        self.bot = p.user(user_id=self.bot_id, username="circlebot", bot=True)
        self.users[self.bot_id] = self.bot
        for uid, name in (
            (self.owner_id, "owner"),
            (self.member_id, "alice"),
            (self.pending_id, "newbie"),
            (self.moderator_id, "mod"),
        ):
            self.users[uid] = p.user(user_id=uid, username=name)
        self.roles = [
            p.role(role_id=self.guild_id, name="@everyone", permissions=p.MEMBER_PERMISSIONS),
            p.role(
                role_id=self.moderator_role_id,
                name="Moderators",
                permissions=p.MODERATOR_PERMISSIONS,
                position=1,
            ),
        ]
        self.members[self.bot_id] = p.member(self.bot)
        self.members[self.owner_id] = p.member(self.users[self.owner_id])
        self.members[self.member_id] = p.member(self.users[self.member_id])
        self.members[self.pending_id] = p.member(self.users[self.pending_id], pending=True)
        self.members[self.moderator_id] = p.member(
            self.users[self.moderator_id], roles=[self.moderator_role_id]
        )
        tags = [
            p.forum_tag(tag_id=self.solved_tag_id, name="solved"),
            p.forum_tag(tag_id=self.question_tag_id, name="question"),
        ]
        gid = self.guild_id
        for channel in (
            p.text_channel(channel_id=self.general_id, guild_id=gid, name="general"),
            p.forum_channel(
                channel_id=self.forum_id, guild_id=gid, name="help", tags=tags, position=1
            ),
            p.text_channel(
                channel_id=self.moderators_id, guild_id=gid, name="moderators", position=2
            ),
            p.thread_channel(
                thread_id=self.forum_post_id,
                guild_id=gid,
                parent_id=self.forum_id,
                owner_id=self.member_id,
                name="How do I mount a USB disk?",
                applied_tags=[self.question_tag_id],
            ),
            p.thread_channel(
                thread_id=self.text_thread_id,
                guild_id=gid,
                parent_id=self.general_id,
                owner_id=self.member_id,
                name="side chat",
            ),
        ):
            self.channels[int(channel["id"])] = channel

    # ----- lookups -------------------------------------------------------------------------

    def user(self, user_id: int) -> Payload:
        """The user payload for an id (unknown ids get a generated user)."""
        if user_id not in self.users:
            self.users[user_id] = p.user(user_id=user_id, username=f"user{user_id % 10000}")
        return self.users[user_id]

    def member_event(self, user_id: int) -> Payload:
        """A member payload with guild_id, as in GUILD_MEMBER_ADD/UPDATE."""
        return {**copy.deepcopy(self.members[user_id]), "guild_id": str(self.guild_id)}

    def guild_of(self, channel_id: int) -> int | None:
        """The guild id of a channel, None for DMs and unknown channels."""
        channel = self.channels.get(channel_id)
        if channel is None or "guild_id" not in channel:
            return None
        return int(channel["guild_id"])

    def is_thread(self, channel_id: int) -> bool:
        """Whether a channel id is a thread."""
        return self.channels.get(channel_id, {}).get("type") == p.PUBLIC_THREAD

    # ----- payloads ------------------------------------------------------------------------

    def guild_payload(self) -> Payload:
        """The GUILD_CREATE payload: full guild with channels, active threads, roles, members."""
        threads = [c for c in self.channels.values() if c["type"] == p.PUBLIC_THREAD]
        channels = [
            c
            for c in self.channels.values()
            if c.get("guild_id") == str(self.guild_id) and c["type"] != p.PUBLIC_THREAD
        ]
        return {
            "id": str(self.guild_id),
            "name": self.guild_name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "features": ["COMMUNITY", "MEMBER_VERIFICATION_GATE_ENABLED"],
            "system_channel_id": str(self.general_id),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": str(self.moderators_id),
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "application_id": None,
            "roles": copy.deepcopy(self.roles),
            "emojis": [],
            "stickers": [],
            "joined_at": p.iso_now(),
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "members": copy.deepcopy(list(self.members.values())),
            "channels": copy.deepcopy(channels),
            "threads": copy.deepcopy(threads),
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "premium_progress_bar_enabled": False,
            "incidents_data": None,
        }

    def ready_payload(
        self, *, session_id: str, resume_url: str, shard: list[int] | None, guild_ids: list[int]
    ) -> Payload:
        """The READY payload for one shard."""
        payload: Payload = {
            "v": 10,
            "user": {**self.bot, "verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
            "session_id": session_id,
            "session_type": "normal",
            "resume_gateway_url": resume_url,
            "application": {"id": str(self.app_id), "flags": (1 << 15) | (1 << 19)},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["local"],
            "user_settings": {},
            "_trace": ['["fake-gateway",{"micros":1}]'],
        }
        if shard is not None:
            payload["shard"] = shard
        return payload

    def application_info(self) -> Payload:
        """The application object served by GET /oauth2/applications/@me."""
        return p.application_info(
            app_id=self.app_id, bot_user=self.bot, owner=self.users[self.owner_id]
        )

    def new_message(
        self,
        *,
        channel_id: int,
        author_id: int,
        content: str,
        reply_to: int | None = None,
        components: list[Payload] | None = None,
        store: bool = True,
    ) -> Payload:
        """Build a message in a channel or thread; stored so REST GET can fetch it."""
        guild_id = self.guild_of(channel_id)
        payload = p.message(
            channel_id=channel_id,
            guild_id=guild_id,
            author=self.user(author_id),
            author_member=self.members.get(author_id) if guild_id is not None else None,
            content=content,
            reply_to=reply_to,
            components=components,
        )
        if reply_to is not None and reply_to in self.messages:
            payload["referenced_message"] = copy.deepcopy(self.messages[reply_to])
        if store:
            self.messages[int(payload["id"])] = payload
        return payload

    def new_forum_post(
        self, *, title: str, author_id: int, tag_ids: list[int] | None = None
    ) -> Payload:
        """Create a forum post thread in the help forum (as THREAD_CREATE sends it)."""
        thread = p.thread_channel(
            thread_id=snowflake(),
            guild_id=self.guild_id,
            parent_id=self.forum_id,
            owner_id=author_id,
            name=title,
            applied_tags=tag_ids,
        )
        self.channels[int(thread["id"])] = thread
        return copy.deepcopy(thread)

    def set_thread_tags(self, thread_id: int, tag_ids: list[int]) -> Payload:
        """Change a thread's applied tags; return the full updated thread."""
        thread = self.channels[thread_id]
        thread["applied_tags"] = [str(t) for t in tag_ids]
        return copy.deepcopy(thread)
