"""A local fake Discord (gateway websocket + REST) that a real discord.py client connects to."""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any
from unittest import mock

import discord
import yarl
from aiohttp import web

from tests.fakes import discord_events as ev
from tests.fakes.discord_gateway import FakeGateway
from tests.fakes.discord_payloads import Payload, iso_now, member
from tests.fakes.discord_rest import FakeRest, RecordedRequest
from tests.fakes.discord_world import DiscordWorld


class FakeDiscordServer:
    """aiohttp server on 127.0.0.1 serving /gateway (websocket) and /api/v10 (REST)."""

    def __init__(
        self, *, world: DiscordWorld | None = None, shards: int = 1, heartbeat_ms: int = 41250
    ) -> None:
        self.world = world or DiscordWorld()
        self.gateway = FakeGateway(self.world, heartbeat_interval_ms=heartbeat_ms)
        self.rest = FakeRest(self.world, gateway_shards=shards)
        self.port = 0
        self._runner: web.AppRunner | None = None

    # ----- lifecycle -----------------------------------------------------------------------

    @property
    def token(self) -> str:
        """The bot token the fake accepts."""
        return self.world.token

    @property
    def api_base(self) -> str:
        """Value for discord.http.Route.BASE."""
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        """The gateway websocket URL (also served by GET /gateway/bot)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        """Listen on an ephemeral loopback port."""
        app = web.Application()
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/", self.gateway.handle)
        app.router.add_route("*", "/api/v10/{tail:.*}", self.rest.handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.gateway.url = self.gateway_url
        self.rest.gateway_url = self.gateway_url

    async def stop(self) -> None:
        """Close sockets and stop listening."""
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscordServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def wait_for_request(
        self,
        method: str,
        path_regex: str,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> RecordedRequest:
        """Wait for the `count`-th REST request matching (see FakeRest.wait_for_request)."""
        return await self.rest.wait_for_request(method, path_regex, count=count, timeout=timeout)

    # ----- events: messages ----------------------------------------------------------------

    async def dispatch(self, event: str, data: Payload, *, deliver: bool = True) -> int:
        """Dispatch any raw event; returns its sequence number."""
        return await self.gateway.dispatch(event, data, deliver=deliver)

    async def send_message(
        self,
        *,
        channel_id: int,
        author_id: int,
        content: str,
        reply_to: int | None = None,
        components: list[Payload] | None = None,
    ) -> Payload:
        """A user posts a message (channel, thread, forum post, reply): MESSAGE_CREATE."""
        message = self.world.new_message(
            channel_id=channel_id,
            author_id=author_id,
            content=content,
            reply_to=reply_to,
            components=components,
        )
        await self.dispatch("MESSAGE_CREATE", copy.deepcopy(message))
        return message

    async def edit_message(self, message_id: int, *, content: str) -> Payload:
        """A user edits a message: MESSAGE_UPDATE with the full new message."""
        message = self.world.messages[message_id]
        message["content"] = content
        message["edited_timestamp"] = iso_now()
        await self.dispatch("MESSAGE_UPDATE", copy.deepcopy(message))
        return message

    async def delete_message(self, message_id: int) -> None:
        """A message is deleted: MESSAGE_DELETE."""
        message = self.world.messages.pop(message_id)
        data = ev.message_delete(
            self.world, channel_id=int(message["channel_id"]), message_id=message_id
        )
        await self.dispatch("MESSAGE_DELETE", data)

    async def add_reaction(
        self, *, channel_id: int, message_id: int, user_id: int, emoji: str = "✅"
    ) -> Payload:
        """MESSAGE_REACTION_ADD (the message needs not be cached by the client)."""
        data = ev.reaction_add(
            self.world,
            channel_id=channel_id,
            message_id=message_id,
            user_id=user_id,
            emoji_name=emoji,
        )
        await self.dispatch("MESSAGE_REACTION_ADD", data)
        return data

    async def remove_reaction(
        self, *, channel_id: int, message_id: int, user_id: int, emoji: str = "✅"
    ) -> Payload:
        """MESSAGE_REACTION_REMOVE."""
        data = ev.reaction_remove(
            self.world,
            channel_id=channel_id,
            message_id=message_id,
            user_id=user_id,
            emoji_name=emoji,
        )
        await self.dispatch("MESSAGE_REACTION_REMOVE", data)
        return data

    # ----- events: members and threads -----------------------------------------------------

    async def member_join(self, *, user_id: int, pending: bool = True) -> Payload:
        """A user joins the guild (pending membership screening by default)."""
        self.world.members[user_id] = member(self.world.user(user_id), pending=pending)
        data = self.world.member_event(user_id)
        await self.dispatch("GUILD_MEMBER_ADD", data)
        return data

    async def member_update(
        self, *, user_id: int, pending: bool | None = None, roles: list[int] | None = None
    ) -> Payload:
        """A member changes (e.g. passes screening: pending true -> false): GUILD_MEMBER_UPDATE."""
        stored = self.world.members[user_id]
        if pending is not None:
            stored["pending"] = pending
        if roles is not None:
            stored["roles"] = [str(r) for r in roles]
        data = self.world.member_event(user_id)
        await self.dispatch("GUILD_MEMBER_UPDATE", data)
        return data

    async def create_forum_post(
        self, *, title: str, author_id: int, content: str, tag_ids: list[int] | None = None
    ) -> tuple[Payload, Payload]:
        """A forum post: THREAD_CREATE then its starter MESSAGE_CREATE (same id as the thread)."""
        thread = self.world.new_forum_post(title=title, author_id=author_id, tag_ids=tag_ids)
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        starter = self.world.new_message(
            channel_id=int(thread["id"]), author_id=author_id, content=content, store=False
        )
        self.world.messages.pop(int(starter["id"]), None)
        starter["id"] = thread["id"]
        self.world.messages[int(thread["id"])] = starter
        await self.dispatch("MESSAGE_CREATE", copy.deepcopy(starter))
        return thread, starter

    async def set_thread_tags(self, thread_id: int, tag_ids: list[int]) -> Payload:
        """A thread's applied_tags change (e.g. a member marks it solved): THREAD_UPDATE."""
        thread = self.world.set_thread_tags(thread_id, tag_ids)
        await self.dispatch("THREAD_UPDATE", thread)
        return thread

    # ----- events: interactions ------------------------------------------------------------

    async def slash_command(
        self,
        name: str,
        *,
        user_id: int,
        channel_id: int | None = None,
        subcommand: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> Payload:
        """A member runs `/name [subcommand] k:v ...`: INTERACTION_CREATE (type 2)."""
        try:
            command_id = self.rest.command_id(name)
        except LookupError:
            command_id = 0
        data = ev.slash_command(
            self.world,
            name=name,
            command_id=command_id,
            channel_id=channel_id or self.world.general_id,
            user_id=user_id,
            subcommand=subcommand,
            options=options,
        )
        self.rest.interactions[data["token"]] = data
        await self.dispatch("INTERACTION_CREATE", data)
        return data

    async def press_button(self, *, custom_id: str, message: Payload, user_id: int) -> Payload:
        """A member clicks a button on `message`: INTERACTION_CREATE (type 3)."""
        data = ev.button_press(self.world, custom_id=custom_id, message=message, user_id=user_id)
        self.rest.interactions[data["token"]] = data
        await self.dispatch("INTERACTION_CREATE", data)
        return data


class NoIdentifyPause:
    """Client mixin: skip discord.py's 5 s sleep before each non-initial IDENTIFY.

    discord.py sleeps in `before_identify_hook` before a second shard's IDENTIFY and before
    re-identifying after INVALID_SESSION; put this mixin first: `class C(NoIdentifyPause, Client)`.
    """

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Identify at once."""
        return None


@contextlib.contextmanager
def patch_discord_urls(server: FakeDiscordServer) -> Iterator[None]:
    """Point discord.py's REST base and default gateway at the fake for the block."""
    with (
        mock.patch.object(discord.http.Route, "BASE", server.api_base),
        mock.patch.object(
            discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url)
        ),
    ):
        yield


@contextlib.asynccontextmanager
async def running_client(
    client: discord.Client, *, token: str, ready_timeout: float = 5.0
) -> AsyncIterator[discord.Client]:
    """Run `client.start(token)` in a task until `on_ready`; close it cleanly on exit."""
    task = asyncio.create_task(client.start(token), name="discord-client-start")
    try:
        async with asyncio.timeout(ready_timeout):
            while not client.is_ready():
                if task.done():
                    task.result()  # re-raise what stopped the client
                    raise RuntimeError("client.start() returned before READY")
                await asyncio.sleep(0.005)
        yield client
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5.0)
