"""Deadline sets queued for the commit (a group of due deadlines on PostgreSQL) behave as sets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.models import Deadline
from bot.storage.repos import Deadlines

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


async def _stored(database: Database) -> dict[str, tuple[datetime, dict[str, str]]]:
    async with database.session() as session:
        rows = (await session.scalars(select(Deadline))).all()
        return {row.key: (row.due_at, row.payload) for row in rows}


async def test_queued_sets_are_written_at_commit_and_seen_by_reads(database: Database) -> None:
    async with database.session() as session:
        session.info[Deadlines.DEFER_SETS] = True
        deadlines = Deadlines(session, community="test:c", rule="r")
        await deadlines.set("q:1", AT, {"step": "helpers"})
        await deadlines.set("q:1", AT + timedelta(hours=2), {"step": "moderators"})  # moved
        await deadlines.set("q:2", AT)
        await deadlines.cancel("q:2")  # set then cancelled in one transaction: never written
        await deadlines.set("invite:1", AT)
        await deadlines.set("invite:2", AT)
        await deadlines.cancel_prefix("invite:")
        await deadlines.set("escalation", AT)
        found = await deadlines.get("escalation")  # a read sees the queued sets
        assert found is not None and found.due_at == AT
        await deadlines.set("q:3", AT + timedelta(minutes=5))  # queued after the read too
    assert await _stored(database) == {
        "q:1": (AT + timedelta(hours=2), {"step": "moderators"}),
        "escalation": (AT, {}),
        "q:3": (AT + timedelta(minutes=5), {}),
    }


async def test_a_rolled_back_transaction_writes_no_queued_set(database: Database) -> None:
    try:
        async with database.session() as session:
            session.info[Deadlines.DEFER_SETS] = True
            await Deadlines(session, community="test:c", rule="r").set("q:1", AT)
            raise RuntimeError("a rule failed")
    except RuntimeError:
        pass
    assert await _stored(database) == {}
