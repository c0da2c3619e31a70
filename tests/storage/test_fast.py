"""Fast statements read and write exactly what the ORM does, in the session's transaction."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import OperationalError

from bot.storage.base import UTCDateTime
from bot.storage.db import Database
from bot.storage.fast import (
    FastStatement,
    _sqlite_datetime_in,
    _sqlite_datetime_out,
    adopt,
    defer,
    deferred,
    full_select,
)
from bot.storage.models import Deadline
from bot.storage.sql import fast_upsert

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)  # whole seconds: formats must still agree

SET = fast_upsert(
    Deadline.__table__,  # type: ignore[arg-type]
    columns=("community", "rule", "key", "due_at", "payload", "claimed_by", "claimed_until"),
    keys=("community", "rule", "key"),
    replace=("due_at", "payload"),
)
DUE_BEFORE = FastStatement(
    select(Deadline.key, Deadline.due_at, Deadline.payload)
    .where(Deadline.due_at < bindparam("before"))
    .order_by(Deadline.due_at)
    .limit(2)  # a literal the statement carries itself
)
FULL = FastStatement(full_select(Deadline).where(Deadline.key == bindparam("key")))


def _row(key: str, due: datetime) -> dict[str, object]:
    return {
        "community": "test:c",
        "rule": "r",
        "key": key,
        "due_at": due,
        "payload": {"step": key},
        "claimed_by": None,
        "claimed_until": None,
    }


async def test_fast_writes_are_read_back_by_the_orm_and_compare_in_sql(database: Database) -> None:
    async with database.session() as session:
        await SET.executemany(session, [_row("a", AT), _row("b", AT + timedelta(minutes=1))])
        await SET.execute(session, _row("c", AT + timedelta(hours=1, microseconds=5)))
    async with database.session() as session:
        stored = (await session.scalars(select(Deadline).order_by(Deadline.key))).all()
        assert [(d.key, d.due_at, d.payload) for d in stored] == [
            ("a", AT, {"step": "a"}),
            ("b", AT + timedelta(minutes=1), {"step": "b"}),
            ("c", AT + timedelta(hours=1, microseconds=5), {"step": "c"}),
        ]
        # the ORM's own query compares against what the fast statement stored
        later = await session.scalars(select(Deadline.key).where(Deadline.due_at > AT))
        assert sorted(later) == ["b", "c"]
        rows = await DUE_BEFORE.rows(session, {"before": AT + timedelta(days=1)})
    assert rows == [("a", AT, {"step": "a"}), ("b", AT + timedelta(minutes=1), {"step": "b"})]


async def test_upsert_replaces_on_conflict(database: Database) -> None:
    async with database.session() as session:
        await SET.execute(session, _row("a", AT))
        await SET.execute(session, {**_row("a", AT + timedelta(days=1)), "payload": {"n": 2}})
        (found,) = adopt(session, Deadline, await FULL.rows(session, {"key": "a"}))
    assert (found.due_at, found.payload) == (AT + timedelta(days=1), {"n": 2})


async def test_a_fast_read_sees_pending_orm_changes(database: Database) -> None:
    async with database.session() as session:
        session.add(Deadline(**_row("pending", AT)))  # not flushed yet
        rows = await DUE_BEFORE.rows(session, {"before": AT + timedelta(seconds=1)})
    assert [r[0] for r in rows] == ["pending"]


async def test_adopt_makes_clean_objects_and_prefers_the_sessions_copy(database: Database) -> None:
    async with database.session() as session:
        await SET.execute(session, _row("a", AT))
    async with database.session() as session:
        (row,) = adopt(session, Deadline, await FULL.rows(session, {"key": "a"}))
        assert row in session and not session.dirty and not session.new
        assert row.due_at == AT and row.payload == {"step": "a"}
        row.payload = {"changed": True}  # the session's copy now differs from the database
        (again,) = adopt(session, Deadline, await FULL.rows(session, {"key": "a"}))
        assert again is row
    async with database.session() as session:
        stored = (await session.scalars(select(Deadline))).one()
    assert stored.payload == {"changed": True}  # the change to the adopted object was written


async def test_work_rolls_back_with_the_session(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.session() as session:
            await SET.execute(session, _row("a", AT))
            raise RuntimeError("the batch failed")
    async with database.session() as session:
        assert await FULL.rows(session, {"key": "a"}) == []


async def test_sqlite_errors_surface_as_sqlalchemy_errors(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path}/gone.db")
    await database.upgrade()
    broken = FastStatement(select(Deadline.key).where(Deadline.key == bindparam("key")))
    try:
        async with database.session() as session:
            await broken.rows(session, {"key": "x"})  # the inline connection is in use
            raw = session.info["circlebot.fast.sqlite3"]
            assert isinstance(raw, sqlite3.Connection)
            raw.execute("DROP TABLE deadlines")
            with pytest.raises(OperationalError, match="no such table: deadlines"):
                await broken.rows(session, {"key": "x"})
    finally:
        await database.dispose()


async def test_deferred_writes_land_at_commit_and_vanish_with_a_rollback(
    database: Database,
) -> None:
    async with database.session() as session:
        defer(session, SET, _row("a", AT))
        defer(session, SET, _row("b", AT))
        queued = deferred(session, SET)
        queued[:] = [row for row in queued if row["key"] != "b"]  # e.g. deleted meanwhile
        assert await FULL.rows(session, {"key": "a"}) == []  # not written before the commit
    with pytest.raises(RuntimeError):
        async with database.session() as session:
            defer(session, SET, _row("c", AT))
            raise RuntimeError("the batch failed")
    async with database.session() as session:
        keys = (await session.scalars(select(Deadline.key))).all()
    assert keys == ["a"]


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 123, tzinfo=UTC),
        datetime(999, 1, 1, tzinfo=UTC),
        datetime(2026, 6, 1, 12, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_sqlite_datetimes_are_the_text_sqlalchemy_writes_and_reads(value: datetime) -> None:
    dialect = sqlite.dialect()
    impl = UTCDateTime().dialect_impl(dialect)
    stored = impl.bind_processor(dialect)(value)
    assert _sqlite_datetime_in(value) == stored
    assert _sqlite_datetime_out(stored) == impl.result_processor(dialect, None)(stored) == value
    with pytest.raises(ValueError, match="naive"):
        _sqlite_datetime_in(value.replace(tzinfo=None))
