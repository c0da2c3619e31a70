"""The inbox: a batch's event keys are recorded at once; the new ones come back, each once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.storage import repos
from bot.storage.db import Database
from bot.storage.models import InboxEntry

NOW = datetime(2026, 3, 2, 10, 0, 0, 123456, tzinfo=UTC)
ODD = ['say "hi"', "naïve ✓", "back\\slash", "comma, [bracket]"]


async def test_new_keys_come_back_once_and_recorded_ones_never(database: Database) -> None:
    async with database.session() as session:
        fresh = await repos.first_time_seen_many(session, ["b", "a", "b", *ODD], NOW)
        assert fresh == {"a", "b", *ODD}
        assert await repos.first_time_seen_many(session, ["a", "c"], NOW) == {"c"}
    async with database.session() as session:
        assert await repos.first_time_seen_many(session, ["c", "d", *ODD], NOW) == {"d"}
        rows = (await session.execute(select(InboxEntry.key, InboxEntry.seen_at))).all()
    assert sorted(rows) == sorted((key, NOW) for key in ["a", "b", "c", "d", *ODD])


async def test_forgotten_keys_are_new_again_and_others_stay(database: Database) -> None:
    async with database.session() as session:
        await repos.first_time_seen_many(session, ["a", "b", *ODD], NOW)
        await repos.forget_seen(session, {"b", *ODD})
        assert await repos.first_time_seen_many(session, ["a", "b", ODD[0]], NOW) == {"b", ODD[0]}


async def test_recorded_keys_are_pruned_by_their_time(database: Database) -> None:
    async with database.session() as session:
        await repos.first_time_seen_many(session, ["old"], NOW)
        await repos.first_time_seen_many(session, ["new"], NOW.replace(microsecond=123457))
    async with database.session() as session:
        assert await repos.prune_inbox(session, NOW.replace(microsecond=123457)) == 1
        assert await repos.first_time_seen_many(session, ["old", "new"], NOW) == {"old"}
