"""Smoke tests: a bare discord.py 2.7 client runs its real start path against the fake Discord."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import discord
import pytest
from discord import app_commands

from tests.fakes.discord_logging import ErrorCollector, fail_on_discord_errors
from tests.fakes.discord_payloads import button_row
from tests.fakes.discord_server import (
    FakeDiscordServer,
    NoIdentifyPause,
    patch_discord_urls,
    running_client,
)

PERSISTENT_ID = "circle:thanks"
SOLVED_ID = "circle:solved"


class ThanksView(discord.ui.View):
    """A persistent view: no timeout, a button with a fixed custom_id."""

    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.pressed: asyncio.Queue[discord.Interaction] = asyncio.Queue()

    @discord.ui.button(label="Thanks", custom_id=PERSISTENT_ID)
    async def thanks(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await interaction.response.send_message("You're welcome", ephemeral=True)
        self.pressed.put_nowait(interaction)

    @discord.ui.button(label="Solved", custom_id=SOLVED_ID)
    async def solved(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(content="Marked solved", view=None)
        self.pressed.put_nowait(interaction)


class SmokeClient(discord.Client):
    """A bare client with a /circle command group and a persistent view."""

    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.members = True
        intents.message_content = True
        super().__init__(intents=intents, guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.ready_fired = asyncio.Event()
        self.view = ThanksView()
        self.command_calls: list[tuple[str, int]] = []
        circle = app_commands.Group(name="circle", description="circlebot commands")

        @circle.command(name="unanswered", description="List unanswered questions")
        async def unanswered(interaction: discord.Interaction, days: int = 7) -> None:
            self.command_calls.append((interaction.user.name, days))
            await interaction.response.send_message(
                f"No question older than {days}d", ephemeral=True
            )

        @circle.command(name="digest", description="Post the weekly digest")
        async def digest(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("Digest: 3 questions answered")
            await interaction.edit_original_response(content="Digest posted")

        self.tree.add_command(circle)

    async def setup_hook(self) -> None:
        self.add_view(self.view)

    async def on_ready(self) -> None:
        self.ready_fired.set()


class TwoShardClient(NoIdentifyPause, discord.AutoShardedClient):
    """An auto-sharded client without the 5 s pause discord.py puts between IDENTIFYs."""


class NoPauseClient(NoIdentifyPause, SmokeClient):
    """SmokeClient without discord.py's 5 s sleep before a non-initial IDENTIFY."""


@pytest.fixture(autouse=True)
def no_discord_errors() -> Iterator[ErrorCollector]:
    with fail_on_discord_errors() as collector:
        yield collector


@pytest.fixture
async def server() -> AsyncIterator[FakeDiscordServer]:
    async with FakeDiscordServer() as fake:
        with patch_discord_urls(fake):
            yield fake


@pytest.fixture
async def client(server: FakeDiscordServer) -> AsyncIterator[SmokeClient]:
    async with running_client(SmokeClient(), token=server.token) as running:
        assert isinstance(running, SmokeClient)
        yield running


async def test_start_identifies_and_fires_on_ready(
    server: FakeDiscordServer, client: SmokeClient
) -> None:
    world = server.world
    assert client.ready_fired.is_set() and server.gateway.shards_identified == [None]
    assert server.gateway.connections[0].query["compress"] == "zlib-stream"
    assert server.rest.requests[0].authorization == f"Bot {server.token}"
    guild = client.get_guild(world.guild_id)
    assert guild is not None and guild.owner_id == world.owner_id
    forum = guild.get_channel(world.forum_id)
    assert isinstance(forum, discord.ForumChannel)
    assert "solved" in [tag.name for tag in forum.available_tags]
    pending = guild.get_member(world.pending_id)
    assert pending is not None and pending.pending
    moderator = guild.get_member(world.moderator_id)
    assert moderator is not None and guild.get_role(world.moderator_role_id) in moderator.roles
    assert client.user is not None and client.user.id == world.bot_id


async def test_tree_sync_hits_the_fake(server: FakeDiscordServer, client: SmokeClient) -> None:
    synced = await client.tree.sync()
    request = await server.wait_for_request("PUT", rf"/applications/{server.world.app_id}/commands")
    assert [c["name"] for c in request.body] == ["circle"]
    assert synced[0].name == "circle" and synced[0].id == server.rest.command_id("circle")
    guild = discord.Object(server.world.guild_id)
    assert await client.tree.sync(guild=guild) == []
    await server.wait_for_request("PUT", r"/applications/\d+/guilds/\d+/commands")


async def test_message_create_plain_reply_thread_and_forum(
    server: FakeDiscordServer, client: SmokeClient
) -> None:
    world = server.world
    waiter = client.wait_for("message", timeout=5)
    question = await server.send_message(
        channel_id=world.general_id, author_id=world.member_id, content="How do I mount a disk?"
    )
    message = await waiter
    assert message.content == "How do I mount a disk?" and message.author.id == world.member_id

    waiter = client.wait_for("message", timeout=5)
    await server.send_message(
        channel_id=world.general_id,
        author_id=world.moderator_id,
        content="Use udisksctl",
        reply_to=int(question["id"]),
    )
    reply = await waiter
    assert reply.reference is not None and reply.reference.message_id == int(question["id"])

    waiter = client.wait_for("message", timeout=5)
    await server.send_message(
        channel_id=world.text_thread_id, author_id=world.member_id, content="x"
    )
    assert isinstance((await waiter).channel, discord.Thread)

    thread_waiter = client.wait_for("thread_create", timeout=5)
    waiter = client.wait_for("message", timeout=5)
    thread, _ = await server.create_forum_post(
        title="Wifi drops", author_id=world.member_id, content="It drops", tag_ids=[]
    )
    created = await thread_waiter
    starter = await waiter
    assert isinstance(created.parent, discord.ForumChannel)
    assert starter.channel.id == starter.id == int(thread["id"])


async def test_message_update_and_delete(server: FakeDiscordServer, client: SmokeClient) -> None:
    world = server.world
    waiter = client.wait_for("message", timeout=5)
    sent = await server.send_message(
        channel_id=world.general_id, author_id=world.member_id, content="a"
    )
    await waiter
    edit_waiter = client.wait_for("message_edit", timeout=5)
    await server.edit_message(int(sent["id"]), content="b")
    before, after = await edit_waiter
    assert (before.content, after.content) == ("a", "b")
    delete_waiter = client.wait_for("raw_message_delete", timeout=5)
    await server.delete_message(int(sent["id"]))
    assert (await delete_waiter).message_id == int(sent["id"])


async def test_raw_reaction_on_uncached_message(
    server: FakeDiscordServer, client: SmokeClient
) -> None:
    world = server.world
    old = world.new_message(channel_id=world.general_id, author_id=world.member_id, content="old")
    waiter = client.wait_for("raw_reaction_add", timeout=5)
    await server.add_reaction(
        channel_id=world.general_id, message_id=int(old["id"]), user_id=world.moderator_id
    )
    event = await waiter
    assert event.message_id == int(old["id"]) and str(event.emoji) == "✅"
    assert event.member is not None and event.member.id == world.moderator_id
    channel = client.get_channel(world.general_id)
    assert isinstance(channel, discord.TextChannel)
    fetched = await channel.fetch_message(event.message_id)
    assert fetched.content == "old"
    waiter = client.wait_for("raw_reaction_remove", timeout=5)
    await server.remove_reaction(
        channel_id=world.general_id, message_id=int(old["id"]), user_id=world.moderator_id
    )
    assert (await waiter).user_id == world.moderator_id


async def test_member_join_and_screening_passed(
    server: FakeDiscordServer, client: SmokeClient
) -> None:
    world = server.world
    join_waiter = client.wait_for("member_join", timeout=5)
    await server.member_join(user_id=4242)
    joined = await join_waiter
    assert joined.id == 4242 and joined.pending
    waiter = client.wait_for("member_update", timeout=5)
    await server.member_update(user_id=world.pending_id, pending=False)
    before, after = await waiter
    assert (before.pending, after.pending) == (True, False)


async def test_thread_update_applied_tags(server: FakeDiscordServer, client: SmokeClient) -> None:
    world = server.world
    waiter = client.wait_for("thread_update", timeout=5)
    await server.set_thread_tags(world.forum_post_id, [world.solved_tag_id])
    before, after = await waiter
    assert [t.name for t in before.applied_tags] == ["question"]
    assert [t.name for t in after.applied_tags] == ["solved"]
    thread = client.get_channel(world.forum_post_id)
    assert isinstance(thread, discord.Thread)
    forum = thread.parent
    assert isinstance(forum, discord.ForumChannel)
    await thread.edit(applied_tags=[forum.get_tag(world.question_tag_id)])  # type: ignore[list-item]
    request = await server.wait_for_request("PATCH", rf"/channels/{world.forum_post_id}")
    assert request.body["applied_tags"] == [str(world.question_tag_id)]


async def test_slash_command_runs_callback_and_responds(
    server: FakeDiscordServer, client: SmokeClient
) -> None:
    await client.tree.sync()
    interaction = await server.slash_command(
        "circle", subcommand="unanswered", options={"days": 3}, user_id=server.world.member_id
    )
    request = await server.wait_for_request(
        "POST", rf"/interactions/{interaction['id']}/.+/callback"
    )
    assert request.query.get("with_response") == "1"
    assert request.body["type"] == 4
    assert request.body["data"]["content"] == "No question older than 3d"
    assert request.body["data"]["flags"] == 64
    assert client.command_calls == [("alice", 3)]


async def test_deferred_command_followup_and_edit_original(
    server: FakeDiscordServer, client: SmokeClient
) -> None:
    world = server.world
    await client.tree.sync()
    interaction = await server.slash_command(
        "circle", subcommand="digest", user_id=world.moderator_id, channel_id=world.moderators_id
    )
    token = interaction["token"]
    await server.wait_for_request("PATCH", rf"/webhooks/{world.app_id}/{token}/messages/@original")
    followup = server.rest.find("POST", rf"/webhooks/{world.app_id}/{token}")
    assert followup[0].body["content"] == "Digest: 3 questions answered"
    assert followup[0].query.get("wait") == "1"
    assert [r.body["type"] for r in server.rest.interaction_responses] == [5]
    original = server.rest.interaction_responses[0].message
    assert original is not None and original["content"] == "Digest posted"
    assert original["channel_id"] == str(world.moderators_id)


async def test_persistent_view_button_reaches_callback(
    server: FakeDiscordServer, client: SmokeClient
) -> None:
    world = server.world
    posted = world.new_message(
        channel_id=world.general_id,
        author_id=world.bot_id,
        content="Was this helpful?",
        components=[button_row(custom_id=PERSISTENT_ID, label="Thanks")],
    )
    await server.press_button(custom_id=PERSISTENT_ID, message=posted, user_id=world.member_id)
    interaction = await asyncio.wait_for(client.view.pressed.get(), 5)
    assert interaction.user.id == world.member_id
    request = await server.wait_for_request("POST", r"/interactions/\d+/.+/callback")
    assert request.body["data"]["content"] == "You're welcome"

    await server.press_button(custom_id=SOLVED_ID, message=posted, user_id=world.member_id)
    await asyncio.wait_for(client.view.pressed.get(), 5)
    request = await server.wait_for_request("POST", r"/interactions/\d+/.+/callback", count=2)
    assert request.body["type"] == 7
    assert world.messages[int(posted["id"])]["content"] == "Marked solved"
    assert world.messages[int(posted["id"])]["components"] == []


@pytest.mark.parametrize("how", ["op7_reconnect", "close_4000"])
async def test_reconnect_resumes_and_replays_missed_events(
    server: FakeDiscordServer, client: SmokeClient, how: str
) -> None:
    world = server.world
    resumed = client.wait_for("resumed", timeout=5)
    if how == "op7_reconnect":
        await server.gateway.request_reconnect()
    else:
        await server.gateway.drop_connection(code=4000)
    missed = client.wait_for("message", check=lambda m: m.content == "while away", timeout=5)
    await server.send_message(
        channel_id=world.general_id, author_id=world.member_id, content="while away"
    )
    assert (await missed).author.id == world.member_id
    await resumed
    assert len(server.gateway.connections) == 2
    assert server.gateway.connections[1].sent_events == ["MESSAGE_CREATE", "RESUMED"]
    assert (server.gateway.identify_count, server.gateway.resume_count) == (1, 1)
    assert server.gateway.resumes[0]["seq"] == 2  # READY + GUILD_CREATE seen before the drop


async def test_rest_429_is_retried_then_succeeds(
    server: FakeDiscordServer, client: SmokeClient
) -> None:
    channel = client.get_channel(server.world.general_id)
    assert isinstance(channel, discord.TextChannel)
    server.rest.rate_limit("POST", r"/channels/\d+/messages", times=1, retry_after=0.05)
    message = await channel.send("hello after a 429")
    assert message.content == "hello after a 429"
    assert len(server.rest.find("POST", r"/channels/\d+/messages")) == 2


async def test_forbidden_50007_closed_dms_and_50013_missing_permissions(
    server: FakeDiscordServer, client: SmokeClient
) -> None:
    world = server.world
    guild = client.get_guild(world.guild_id)
    member = guild.get_member(world.member_id) if guild else None
    channel = client.get_channel(world.moderators_id)
    assert member is not None and isinstance(channel, discord.TextChannel)
    server.rest.forbid("POST", rf"/channels/{world.moderators_id}/messages", code=50013)
    server.rest.forbid("POST", r"/channels/\d+/messages", code=50007)
    with pytest.raises(discord.Forbidden) as closed_dms:
        await member.send("welcome!")
    with pytest.raises(discord.Forbidden) as no_permission:
        await channel.send("report")
    assert (closed_dms.value.code, no_permission.value.code) == (50007, 50013)
    assert server.rest.find("POST", r"/users/@me/channels")[0].body == {"recipient_id": member.id}


async def test_auto_sharded_client_identifies_each_shard(server: FakeDiscordServer) -> None:
    server.rest.gateway_shards = 2
    intents = discord.Intents.default()
    intents.members = True
    sharded = TwoShardClient(intents=intents, guild_ready_timeout=0.05)
    async with running_client(sharded, token=server.token):
        assert sorted(map(tuple, server.gateway.shards_identified)) == [(0, 2), (1, 2)]  # type: ignore[arg-type]
        assert server.rest.find("GET", r"/gateway/bot")
        guild = sharded.get_guild(server.world.guild_id)
        assert guild is not None and guild.shard_id == (server.world.guild_id >> 22) % 2


async def test_error_logged_by_a_handler_fails_the_guard(
    server: FakeDiscordServer, client: SmokeClient, no_discord_errors: ErrorCollector
) -> None:
    handled = asyncio.Event()

    async def on_message(message: discord.Message) -> None:
        raise RuntimeError(f"handler broke on {message.content}")

    async def on_error(event: str, *args: Any, **kwargs: Any) -> None:
        await discord.Client.on_error(client, event, *args, **kwargs)  # logs at ERROR
        handled.set()

    client.on_message = on_message  # type: ignore[attr-defined]
    client.on_error = on_error  # type: ignore[method-assign]
    world = server.world
    with pytest.raises(pytest.fail.Exception, match="handler broke on boom"):
        with fail_on_discord_errors():
            await server.send_message(
                channel_id=world.general_id, author_id=world.member_id, content="boom"
            )
            await asyncio.wait_for(handled.wait(), 5)
    assert "Ignoring exception in on_message" in no_discord_errors.report()
    no_discord_errors.records.clear()


async def test_invalid_session_makes_the_client_identify_again(server: FakeDiscordServer) -> None:
    async with running_client(NoPauseClient(), token=server.token) as client:
        ready_again = client.wait_for("ready", timeout=5)
        await server.gateway.invalidate_session()
        await ready_again
        assert (server.gateway.identify_count, server.gateway.resume_count) == (2, 0)
        assert len(server.gateway.sessions) == 2
