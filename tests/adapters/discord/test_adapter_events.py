"""Every gateway event type through the adapter's real start path into a real Engine."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.actions import Action
from bot.context import RuleContext
from bot.events import (
    Event,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
    TagsChanged,
)
from bot.rule import Rule, RuleRegistry
from tests.core.sample_rules import EchoRule
from tests.fakes.discord_bot import DiscordBot, running_bot
from tests.fakes.discord_logging import ErrorCollector, fail_on_discord_errors

SEEN: list[Event] = []


class Recorder(Rule):
    """Records every event the engine hands to rules."""

    name = "recorder"
    handles = (
        MemberJoined,
        MemberLeft,
        MessagePosted,
        MessageEdited,
        MessageDeleted,
        ReactionAdded,
        ReactionRemoved,
        TagsChanged,
    )

    async def on_event(self, event: Event, ctx: RuleContext) -> list[Action]:
        SEEN.append(event)
        return []


def seen(kind: type[Event]) -> list[Event]:
    return [e for e in SEEN if isinstance(e, kind)]


@pytest.fixture(autouse=True)
def no_discord_errors() -> Iterator[ErrorCollector]:
    SEEN.clear()
    with fail_on_discord_errors() as collector:
        yield collector


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[DiscordBot]:
    async with running_bot(tmp_path, RuleRegistry([Recorder, EchoRule])) as running:
        yield running


async def test_start_path_identifies_syncs_commands_and_registers_the_guild(
    bot: DiscordBot,
) -> None:
    gateway, rest, world = bot.server.gateway, bot.server.rest, bot.server.world
    assert gateway.identify_count == 1
    intents = gateway.identifies[0]["intents"]
    assert intents & (1 << 1) and intents & (1 << 15) and intents & (1 << 10)  # members, content
    assert not intents & (1 << 8)  # no presences
    assert [c["name"] for c in rest.global_commands] == ["circle", "circle-mod"]
    assert gateway.connections[0].sent_events[:2] == ["READY", "GUILD_CREATE"]
    assert await bot.engine.communities() == [f"discord:{world.guild_id}"]


async def test_message_reply_thread_and_forum_post(bot: DiscordBot) -> None:
    server, world = bot.server, bot.server.world
    question = await server.send_message(
        channel_id=world.general_id, author_id=world.member_id, content="How do I mount a disk?"
    )
    await server.send_message(
        channel_id=world.general_id,
        author_id=world.moderator_id,
        content="Use udisksctl",
        reply_to=int(question["id"]),
    )
    await server.send_message(
        channel_id=world.text_thread_id, author_id=world.member_id, content="in a thread"
    )
    thread, starter = await server.create_forum_post(
        title="Wifi drops", author_id=world.member_id, content="My wifi drops", tag_ids=[]
    )
    await bot.settle()
    plain, reply, in_thread, post = seen(MessagePosted)
    assert isinstance(plain, MessagePosted) and isinstance(reply, MessagePosted)
    assert isinstance(in_thread, MessagePosted) and isinstance(post, MessagePosted)
    assert plain.community == f"discord:{world.guild_id}"
    assert plain.channel == str(world.general_id) and plain.channel_name == "general"
    assert plain.user == str(world.member_id) and plain.user_name == "Alice"
    assert plain.event_id == f"message:{question['id']}"
    guild, channel = world.guild_id, world.general_id
    assert plain.permalink == f"https://discord.com/channels/{guild}/{channel}/{question['id']}"
    assert reply.reply_to == question["id"] and "Moderators" in reply.roles
    assert in_thread.thread == str(world.text_thread_id) and not in_thread.is_forum_post
    assert in_thread.channel_name == "general"
    assert post.is_forum_post and post.thread == thread["id"] == post.message_id
    assert post.channel_name == "help" and post.text == "My wifi drops"
    assert starter["id"] == thread["id"]


async def test_bot_own_messages_are_dropped(bot: DiscordBot) -> None:
    world = bot.server.world
    await bot.server.send_message(channel_id=world.general_id, author_id=world.bot_id, content="x")
    await bot.settle()
    assert seen(MessagePosted) == []


async def test_edit_and_delete_arrive_raw(bot: DiscordBot) -> None:
    server, world = bot.server, bot.server.world
    sent = await server.send_message(
        channel_id=world.general_id, author_id=world.member_id, content="a"
    )
    await server.edit_message(int(sent["id"]), content="b")
    uncached = world.new_message(
        channel_id=world.general_id, author_id=world.member_id, content="z"
    )
    await server.delete_message(int(sent["id"]))
    await server.delete_message(int(uncached["id"]))
    await bot.settle()
    (edit,) = seen(MessageEdited)
    assert isinstance(edit, MessageEdited) and edit.text == "b" and edit.message_id == sent["id"]
    assert [e.message_id for e in seen(MessageDeleted)] == [sent["id"], uncached["id"]]  # type: ignore[attr-defined]


async def test_reactions_on_an_uncached_message(bot: DiscordBot) -> None:
    server, world = bot.server, bot.server.world
    old = world.new_message(channel_id=world.general_id, author_id=world.member_id, content="old")
    for _ in range(2):  # add, remove, add again: three distinct events
        await server.add_reaction(
            channel_id=world.general_id, message_id=int(old["id"]), user_id=world.moderator_id
        )
        await server.remove_reaction(
            channel_id=world.general_id, message_id=int(old["id"]), user_id=world.moderator_id
        )
    await bot.settle()
    added, removed = seen(ReactionAdded), seen(ReactionRemoved)
    assert len(added) == len(removed) == 2
    first = added[0]
    assert isinstance(first, ReactionAdded)
    assert first.emoji == "✅" and first.message_id == old["id"]
    assert first.message_author == str(world.member_id) and "Moderators" in first.roles


async def test_member_join_leave_and_screening(tmp_path: Path) -> None:
    async with running_bot(tmp_path, RuleRegistry([Recorder]), member_joined="onboarded") as bot:
        server, world = bot.server, bot.server.world
        await server.member_join(user_id=4242, pending=True)  # waits for screening
        await server.member_join(user_id=4343, pending=False)  # no screening: joined now
        await server.member_update(user_id=4242, pending=False)  # screening passed
        await server.member_update(user_id=4242, roles=[world.moderator_role_id])  # not a join
        await server.member_update(user_id=world.pending_id, pending=False)  # pending at startup
        await server.dispatch(
            "GUILD_MEMBER_REMOVE",
            {"guild_id": str(world.guild_id), "user": world.user(4343)},
        )
        await bot.settle()
    joined = [e.user for e in seen(MemberJoined)]
    assert joined == ["4343", "4242", str(world.pending_id)]
    assert [e.user for e in seen(MemberLeft)] == ["4343"]


async def test_join_mode_counts_raw_joins(tmp_path: Path) -> None:
    async with running_bot(tmp_path, RuleRegistry([Recorder]), member_joined="join") as bot:
        await bot.server.member_join(user_id=4242, pending=True)
        await bot.server.member_update(user_id=4242, pending=False)
        await bot.settle()
    assert [e.user for e in seen(MemberJoined)] == ["4242"]


async def test_forum_tags_changed_by_a_member(bot: DiscordBot) -> None:
    world = bot.server.world
    await bot.server.set_thread_tags(world.forum_post_id, [world.solved_tag_id])
    await bot.server.set_thread_tags(world.forum_post_id, [world.solved_tag_id])  # no change
    await bot.server.dispatch(
        "THREAD_UPDATE",
        {**world.channels[world.text_thread_id], "name": "renamed"},  # not a forum post
    )
    await bot.settle()
    (change,) = seen(TagsChanged)
    assert isinstance(change, TagsChanged)
    assert change.tags == ("solved",) and change.thread == str(world.forum_post_id)
    assert change.user == str(world.member_id)
