"""The discord.py client: intents, raw gateway payloads, the `/circle` tree, persistent buttons."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any, Protocol

import discord

from adapters.discord.commands import CommandSpec, build_tree
from adapters.discord.directory import ChannelInfo, RoleInfo
from adapters.discord.views import CircleButton

log = logging.getLogger(__name__)

GATEWAY_EVENTS = frozenset(
    {
        "GUILD_CREATE",
        "GUILD_MEMBERS_CHUNK",
        "GUILD_MEMBER_ADD",
        "GUILD_MEMBER_UPDATE",
        "GUILD_MEMBER_REMOVE",
        "MESSAGE_CREATE",
        "MESSAGE_UPDATE",
        "MESSAGE_DELETE",
        "MESSAGE_REACTION_ADD",
        "MESSAGE_REACTION_REMOVE",
        "THREAD_CREATE",
        "THREAD_UPDATE",
        "THREAD_LIST_SYNC",
        "INTERACTION_CREATE",
    }
)


def circle_intents() -> discord.Intents:
    """Guilds, members, messages with content, reactions; no presences, no typing."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.members = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = True
    intents.guild_reactions = True
    intents.dm_reactions = True
    return intents


class CircleHandler(Protocol):
    """What the client hands over to the adapter."""

    def gateway_event(self, name: str, data: dict[str, Any], seq: int | None) -> None:
        """A raw dispatch payload, in gateway order (called synchronously, must not block)."""
        ...

    async def command_used(self, interaction: discord.Interaction) -> None:
        """A `/circle` subcommand was run."""
        ...

    async def button_pressed(self, interaction: discord.Interaction, command: str) -> None:
        """A circle button was pressed."""
        ...

    async def guild_available(self, guild: discord.Guild) -> None:
        """The bot is in this guild (startup or join)."""
        ...


class CircleClient(discord.AutoShardedClient):
    """An auto-sharded client feeding raw payloads and interactions to a CircleHandler."""

    def __init__(
        self,
        *,
        handler: CircleHandler,
        commands: Sequence[CommandSpec],
        shard_ids: list[int] | None = None,
        shard_count: int | None = None,
        sync_commands: bool = True,
        ask_shard_count: bool = False,
        **options: Any,
    ) -> None:
        options.setdefault("max_ratelimit_timeout", 30.0)
        if shard_ids is not None:
            options["shard_ids"] = shard_ids
        super().__init__(
            intents=circle_intents(),
            shard_count=shard_count,
            enable_debug_events=True,
            allowed_mentions=discord.AllowedMentions(
                everyone=False, users=True, roles=True, replied_user=False
            ),
            **options,
        )
        self.handler = handler
        self.sync_commands = sync_commands
        self.ask_shard_count = ask_shard_count
        self.tree = build_tree(self, commands, handler.command_used)
        self.synced: list[discord.app_commands.AppCommand] = []

    async def setup_hook(self) -> None:
        """Register persistent buttons, sync the command tree, size the shards if needed."""
        self.add_dynamic_items(CircleButton)
        if self.ask_shard_count and self.shard_count is None:
            # A gateway URL override: discord.py only uses it with a known shard count.
            self.shard_count, _, _ = await self.http.get_bot_gateway()
        if self.sync_commands:
            self.synced = await self.tree.sync()
            log.info("synced %d application commands", len(self.synced))

    async def on_socket_raw_receive(self, message: str) -> None:
        """Raw gateway frames (decompressed JSON): dispatches the adapter cares about."""
        try:
            payload = json.loads(message)
        except (TypeError, ValueError):
            return
        if not isinstance(payload, dict) or payload.get("op") != 0:
            return
        name, data, seq = payload.get("t"), payload.get("d"), payload.get("s")
        if name in GATEWAY_EVENTS and isinstance(data, dict):
            self.handler.gateway_event(str(name), data, seq if isinstance(seq, int) else None)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self.handler.guild_available(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.handler.guild_available(guild)

    async def circle_button_pressed(self, interaction: discord.Interaction, command: str) -> None:
        """Called by CircleButton.callback."""
        await self.handler.button_pressed(interaction, command)


class CacheLookup:
    """translate.Lookup backed by the client's cache (channels, threads, roles, owners)."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    @property
    def bot_id(self) -> str:
        user = self.client.user
        return str(user.id) if user else ""

    def channel(self, channel_id: str) -> ChannelInfo | None:
        found = self.client.get_channel(int(channel_id))
        if found is None or isinstance(found, discord.abc.PrivateChannel):
            return None
        name = getattr(found, "name", None)
        parent = getattr(found, "parent_id", None)
        tags: dict[str, str] = {}
        if isinstance(found, discord.ForumChannel):
            tags = {str(tag.id): tag.name for tag in found.available_tags}
        return ChannelInfo(
            id=channel_id,
            name=name if isinstance(name, str) else None,
            kind=found.type.value,
            parent_id=str(parent) if isinstance(found, discord.Thread) and parent else None,
            tags=tags,
        )

    def role(self, guild_id: str, role_id: str) -> RoleInfo | None:
        guild = self.client.get_guild(int(guild_id))
        role = guild.get_role(int(role_id)) if guild else None
        return RoleInfo(role.name, role.permissions.value) if role else None

    def owner(self, guild_id: str) -> str | None:
        guild = self.client.get_guild(int(guild_id))
        return str(guild.owner_id) if guild and guild.owner_id else None

    def only_guild(self) -> str | None:
        guilds = self.client.guilds
        return str(guilds[0].id) if len(guilds) == 1 else None


def interaction_payload(interaction: discord.Interaction) -> dict[str, Any]:
    """The parts of an INTERACTION_CREATE payload translate needs, rebuilt from discord.py."""
    user = interaction.user
    member: dict[str, Any] = {
        "user": {
            "id": str(user.id),
            "username": user.name,
            "global_name": user.global_name,
            "bot": user.bot,
        },
        "nick": getattr(user, "nick", None),
        "roles": [str(r.id) for r in getattr(user, "roles", [])],
        "permissions": str(interaction.permissions.value),
    }
    payload: dict[str, Any] = {
        "id": str(interaction.id),
        "type": interaction.type.value,
        "channel_id": str(interaction.channel_id) if interaction.channel_id else None,
        "member": member,
        "data": dict(interaction.data or {}),
    }
    if interaction.guild_id is not None:
        payload["guild_id"] = str(interaction.guild_id)
    if interaction.message is not None:
        payload["message"] = {"id": str(interaction.message.id)}
    return payload
