"""The digests store on SQLite and PostgreSQL: counters, breadth, active channels, privacy."""

from __future__ import annotations

from datetime import date

from bot.storage.db import Database
from bot.storage.deferred_writes import deferred, flush_deferred
from rules.digests import store
from tests.harness import COMMUNITY, MONDAY_9AM

MON, TUE = date(2026, 11, 23), date(2026, 11, 24)


async def test_breadth_channels_subscriptions_and_forgetting(database_url: str) -> None:
    database = Database(database_url)
    await database.upgrade()
    async with database.session() as s:
        plan = [("alice", "help", MON, 15), ("alice", "random", TUE, 5)]
        plan += [(f"m{n}", "general", TUE, 1) for n in range(19)]
        for user, channel, day, count in plan:
            for _ in range(count):
                await store.record_message(
                    s, COMMUNITY, day=day, channel=channel, channel_name=channel, user=user
                )
        assert await store.subscribe(s, COMMUNITY, "alice", now=MONDAY_9AM)
        assert not await store.subscribe(s, COMMUNITY, "alice", now=MONDAY_9AM)
    async with database.session() as s:
        week = await store.breadth(s, COMMUNITY, first=MON, last=TUE)
        assert (week.voices, week.messages, week.top_posters) == (20, 39, 2)
        assert round(week.top_share, 3) == round(21 / 39, 3)  # alice 20 + one member with 1
        monday = await store.breadth(s, COMMUNITY, first=MON, last=MON)
        assert (monday.voices, monday.top_share) == (1, 1.0)
        assert await store.active_channels(s, COMMUNITY, user="alice", since=MON) == [
            "help",
            "random",
        ]
        assert await store.active_channels(s, COMMUNITY, user="alice", since=TUE) == ["random"]
        assert await store.subscribers(s, COMMUNITY) == ["alice"]
        assert await store.forget_member(s, COMMUNITY, "alice") == 3
    async with database.session() as s:
        after = await store.breadth(s, COMMUNITY, first=MON, last=TUE)
        assert (after.voices, after.messages) == (20, 39)  # counts stay, the id is gone
        assert await store.active_channels(s, COMMUNITY, user="alice", since=MON) == []
        assert await store.subscribers(s, COMMUNITY) == []
        assert not await store.unsubscribe(s, COMMUNITY, "alice")
    await database.dispose()


async def test_a_batchs_messages_of_one_member_channel_and_day_are_one_queued_count(
    database_url: str,
) -> None:
    database = Database(database_url)
    await database.upgrade()
    async with database.session() as s:
        plan = [("alice", "help", MON), ("bob", "help", MON), ("alice", "help", MON)]
        plan += [("alice", "help", TUE), ("alice", "help", MON)]
        for user, channel, day in plan:
            await store.record_message(
                s, COMMUNITY, day=day, channel=channel, channel_name=channel, user=user
            )
        queued = deferred(s, store._COUNT_MESSAGES)
        assert [(row["user"], row["day"], row["messages"]) for row in queued] == [
            ("alice", MON, 3),
            ("bob", MON, 1),
            ("alice", TUE, 1),
        ]
        await flush_deferred(s)  # written: the next count of the same key is a new row
        await store.record_message(
            s, COMMUNITY, day=MON, channel="help", channel_name="help", user="alice"
        )
        assert [row["messages"] for row in deferred(s, store._COUNT_MESSAGES)] == [1]
    async with database.session() as s:
        monday = await store.breadth(s, COMMUNITY, first=MON, last=MON)
        assert (monday.voices, monday.messages) == (2, 5)
    await database.dispose()
