"""ORM objects written by fast statements: same rows as the unit of work, and no flush."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bot.storage.db import Database
from bot.storage.fast_orm import insert, save, update
from rules.questions.models import ANSWERED, OPEN, Question

AT = datetime(2026, 3, 1, 9, 30, 15, 250, tzinfo=UTC)


def _question(message_id: str = "m1") -> Question:
    return Question(
        community="test:c",
        channel="C1",
        channel_name="help",
        message_id=message_id,
        asker="U1",
        asked_at=AT,
        text="how do I mount a disk?",
    )


@pytest.fixture
def flushes() -> Iterator[list[int]]:
    """Counts ORM flushes while the test runs."""
    seen: list[int] = []

    def count(*_args: object) -> None:
        seen.append(1)

    event.listen(Session, "before_flush", count)
    yield seen
    event.remove(Session, "before_flush", count)


async def test_insert_returns_every_column_and_leaves_the_object_clean(
    database: Database, flushes: list[int]
) -> None:
    async with database.session() as session:
        row = _question()
        await insert(session, row)
        assert row.id is not None
        assert row.state == OPEN and row.escalation_pending is False  # scalar defaults
        assert row.thread is None and row.claimed_by is None  # unset nullable columns
        assert row.asked_at == AT
        assert session.sync_session._is_clean()  # nothing left for a flush
        assert await session.get(Question, row.id) is row  # in the identity map
        second = _question("m2")
        await insert(session, second)
        assert second.id == row.id + 1
        ident = row.id
    assert flushes == []
    async with database.session() as session:
        stored = (await session.execute(select(Question).where(Question.id == ident))).scalar_one()
        assert (stored.message_id, stored.asked_at, stored.state) == ("m1", AT, OPEN)
        assert stored.text == "how do I mount a disk?"


async def test_update_writes_the_row_and_sets_values_as_loaded(
    database: Database, flushes: list[int]
) -> None:
    answered = AT + timedelta(minutes=3)
    async with database.session() as session:
        row = _question()
        await insert(session, row)
        changed = await update(session, row, state=ANSWERED, answered_at=answered, answered_by="U2")
        assert changed == 1
        assert (row.state, row.answered_at, row.answered_by) == (ANSWERED, answered, "U2")
        assert session.sync_session._is_clean()
        ident = row.id
    assert flushes == []
    async with database.session() as session:
        stored = await session.get(Question, ident)
        assert stored is not None
        assert (stored.state, stored.answered_at, stored.answered_by) == (ANSWERED, answered, "U2")


async def test_pending_orm_changes_are_flushed_before_and_kept(database: Database) -> None:
    async with database.session() as session:
        row = _question()
        await insert(session, row)
        row.claimed_by = "U9"  # an ordinary ORM change, not yet flushed
        await update(session, row, state=ANSWERED)
        ident = row.id
    async with database.session() as session:
        stored = await session.get(Question, ident)
        assert stored is not None
        assert (stored.claimed_by, stored.state) == ("U9", ANSWERED)


async def test_update_of_a_missing_row_changes_nothing(database: Database) -> None:
    async with database.session() as session:
        row = _question()
        await insert(session, row)
    async with database.session() as session:
        gone = await session.get(Question, row.id)
        assert gone is not None
        await session.delete(gone)
    async with database.session() as session:
        assert await update(session, row, state=ANSWERED) == 0


async def test_unknown_columns_are_refused(database: Database) -> None:
    async with database.session() as session:
        row = _question()
        await insert(session, row)
        with pytest.raises(ValueError, match="no column"):
            await update(session, row, colour="blue")


async def test_a_rollback_writes_nothing(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.session() as session:
            await insert(session, _question())
            raise RuntimeError("rule failed")
    async with database.session() as session:
        assert (await session.execute(select(Question))).scalars().all() == []


async def test_save_writes_only_what_differs(database: Database) -> None:
    async with database.session() as session:
        row = _question()
        await insert(session, row)
        assert await save(session, row, state=OPEN, text=row.text) == 0  # nothing differs
        assert await save(session, row, state=ANSWERED, text=row.text) == 1
        assert row.state == ANSWERED and session.sync_session._is_clean()
        ident = row.id
    async with database.session() as session:
        stored = await session.get(Question, ident)
        assert stored is not None and stored.state == ANSWERED
