"""Reconnects, rate limits, closed DMs, missing permissions: nothing doubled, lost or crashed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.actions import Action, DirectMessage, Hide, NotifyModerators
from bot.context import RuleContext
from bot.events import Event, MessagePosted
from bot.rule import Rule, RuleRegistry
from bot.storage.models import OutboxEntry
from tests.core.sample_rules import EchoRule
from tests.fakes.discord_bot import DiscordBot, running_bot
from tests.fakes.discord_logging import ErrorCollector, fail_on_discord_errors

MOD_CHANNEL = "community:\n  moderators_channel: moderators\n"
POSTS = r"/channels/\d+/messages"


class Strict(Rule):
    """DMs whoever says `dm me`; hides `spam`; tells moderators about `alert`."""

    name = "strict"
    handles = (MessagePosted,)

    async def on_event(self, event: Event, ctx: RuleContext) -> list[Action]:
        assert isinstance(event, MessagePosted)
        if event.text == "dm me":
            return [DirectMessage(community=event.community, user=event.user, text="hello!")]
        if event.text == "spam":
            return [
                Hide(community=event.community, channel=event.channel, message_id=event.message_id)
            ]
        if event.text == "alert":
            return [NotifyModerators(community=event.community, text="look at this")]
        return []


@pytest.fixture(autouse=True)
def no_discord_errors() -> Iterator[ErrorCollector]:
    with fail_on_discord_errors() as collector:
        yield collector


def registry() -> RuleRegistry:
    return RuleRegistry([EchoRule, Strict])


async def outbox(bot: DiscordBot) -> list[OutboxEntry]:
    async with bot.engine.database.session() as session:
        return list((await session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))).all())


async def say(bot: DiscordBot, text: str, user: int | None = None) -> None:
    world = bot.server.world
    await bot.server.send_message(
        channel_id=world.general_id, author_id=user or world.member_id, content=text
    )
    await bot.settle()


@pytest.mark.parametrize("how", ["op7_reconnect", "close_4000"])
async def test_resume_replays_events_but_no_action(tmp_path: Path, how: str) -> None:
    async with running_bot(tmp_path, registry()) as bot:
        gateway = bot.server.gateway
        await say(bot, "ping")
        assert len(bot.server.rest.find("POST", POSTS)) == 1
        gateway.resume_overlap = 1  # Discord redelivers the last event after the resume
        resumed = bot.client.wait_for("resumed", timeout=5)
        if how == "op7_reconnect":
            await gateway.request_reconnect()
        else:
            await gateway.drop_connection(code=4000)
        await resumed
        await bot.settle()
        assert gateway.connections[-1].sent_events == ["MESSAGE_CREATE", "RESUMED"]
        assert (gateway.identify_count, gateway.resume_count) == (1, 1)
        assert len(bot.server.rest.find("POST", POSTS)) == 1  # the replayed ping did nothing
        await say(bot, "ping")
        assert len(bot.server.rest.find("POST", POSTS)) == 2  # new events still work


async def test_short_429_is_waited_out_by_discord_py(tmp_path: Path) -> None:
    async with running_bot(tmp_path, registry()) as bot:
        bot.server.rest.rate_limit("POST", POSTS, times=1, retry_after=0.05)
        await say(bot, "ping")
        assert len(bot.server.rest.find("POST", POSTS)) == 2  # the 429, then the retry
        (row,) = await outbox(bot)
        assert row.status == "sent" and row.attempts == 0  # no retry by the core was needed


async def test_long_429_becomes_a_core_retry_after(tmp_path: Path) -> None:
    async with running_bot(tmp_path, registry()) as bot:
        bot.server.rest.rate_limit("POST", POSTS, times=1, retry_after=45.0)
        before = datetime.now(UTC)
        await say(bot, "ping")
        (row,) = await outbox(bot)
        assert row.status == "pending" and row.attempts == 1
        assert row.last_error and "rate limited" in row.last_error
        due = row.next_attempt_at.replace(tzinfo=UTC)
        assert due >= before + timedelta(seconds=45)
        assert len(bot.server.rest.find("POST", POSTS)) == 1  # discord.py did not sleep 45 s


async def test_server_error_is_retried_later(tmp_path: Path) -> None:
    async with running_bot(tmp_path, registry()) as bot:
        bot.server.rest.fail("POST", POSTS, status=503, body={"message": "unavailable"})
        await say(bot, "ping")
        (row,) = await outbox(bot)
        assert row.status == "pending" and row.attempts == 1 and "503" in (row.last_error or "")


async def test_closed_dms_tell_moderators_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path, registry(), config_yaml=MOD_CHANNEL) as bot:
        world = bot.server.world
        bot.server.rest.forbid(
            "POST", rf"/channels/(?!{world.moderators_id})\d+/messages", code=50007
        )
        await say(bot, "dm me")
        await say(bot, "dm me")
        rows = await outbox(bot)
        failed = [r for r in rows if r.status == "failed"]
        assert len(failed) == 2 and all("dm_closed" in (r.last_error or "") for r in failed)
        notices = bot.server.rest.find("POST", rf"/channels/{world.moderators_id}/messages")
        assert len(notices) == 1 and "dm_closed" in notices[0].body["content"]
        dm = bot.server.rest.find("POST", r"/users/@me/channels")
        assert dm[0].body == {"recipient_id": world.member_id}


async def test_missing_permission_to_hide_tells_moderators_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path, registry(), config_yaml=MOD_CHANNEL) as bot:
        world = bot.server.world
        bot.server.rest.forbid("DELETE", r"/channels/\d+/messages/\d+", code=50013)
        await say(bot, "spam")
        await say(bot, "spam")
        rows = await outbox(bot)
        assert [r.status for r in rows if r.kind == "hide"] == ["failed", "failed"]
        notices = bot.server.rest.find("POST", rf"/channels/{world.moderators_id}/messages")
        assert len(notices) == 1 and "missing_permissions" in notices[0].body["content"]
        assert len(world.messages) >= 2  # both messages are still there, nothing lost


async def test_hiding_a_message_that_is_gone_is_done(tmp_path: Path) -> None:
    async with running_bot(tmp_path, registry()) as bot:
        bot.server.rest.fail(
            "DELETE",
            r"/channels/\d+/messages/\d+",
            status=404,
            body={"code": 10008, "message": "Unknown Message"},
        )
        await say(bot, "spam")
        (row,) = await outbox(bot)
        assert row.status == "sent" and row.result and row.result["detail"] == "already deleted"


async def test_without_moderators_the_guild_owner_gets_a_dm(tmp_path: Path) -> None:
    async with running_bot(tmp_path, registry()) as bot:
        world = bot.server.world
        await say(bot, "alert")
        (dm,) = bot.server.rest.find("POST", r"/users/@me/channels")
        assert dm.body == {"recipient_id": world.owner_id}
        (message,) = bot.server.rest.find("POST", POSTS)
        assert message.body["content"] == "look at this"
