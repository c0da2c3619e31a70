"""Fast statements read and write exactly what the ORM does, in the session's transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    BigInteger,
    Integer,
    Numeric,
    String,
    Text,
    bindparam,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.storage.base import Base, UTCDateTime
from bot.storage.db import Database
from bot.storage.deferred_writes import defer, defer_merged, deferred, flush_deferred
from bot.storage.fast import (
    FastStatement,
    _sqlite_datetime_in,
    _sqlite_datetime_out,
    adopt,
    full_select,
)
from bot.storage.fast_pg import PgLink
from bot.storage.models import Deadline
from bot.storage.sql import fast_insert_ignore, fast_upsert

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
    assert _sqlite_datetime_out(stored).tzinfo is UTC


def test_sqlite_datetimes_written_without_microseconds_are_read_too() -> None:
    assert _sqlite_datetime_out("2026-01-02 03:04:05") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class _SampleBase(DeclarativeBase):
    type_annotation_map = Base.type_annotation_map


class Sample(_SampleBase):
    """A test-only table with every kind of column the bot's tables use, and a few more."""

    __tablename__ = "fast_samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    flag: Mapped[bool]
    maybe: Mapped[bool | None]
    at: Mapped[datetime]
    later: Mapped[datetime | None]
    doc: Mapped[dict[str, Any]]
    maybe_doc: Mapped[dict[str, Any] | None]
    ratio: Mapped[float]
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 3))
    big: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)


SAMPLES: Any = Sample.__table__
COLUMNS = tuple(column.key for column in SAMPLES.columns)
ADD_SAMPLE = FastStatement(insert(SAMPLES).values({name: bindparam(name) for name in COLUMNS}))
ADD_SAMPLE_RETURNING = FastStatement(
    insert(SAMPLES).values({name: bindparam(name) for name in COLUMNS}).returning(*SAMPLES.c)
)
SAMPLE = FastStatement(full_select(Sample).where(Sample.name == bindparam("name")))
SAMPLES_FLAGGED = FastStatement(
    full_select(Sample).where(Sample.flag == bindparam("is_flag")).order_by(Sample.id)
)
SAMPLES_AT = FastStatement(
    select(Sample.name).where(Sample.at >= bindparam("since")).order_by(Sample.name)
)
SAMPLES_NAMED = FastStatement(  # expanding IN: runs through the session
    select(Sample.name).where(Sample.name.in_(bindparam("names", expanding=True)))
)
RENAME_FLAGGED = FastStatement(
    update(SAMPLES).where(Sample.flag == bindparam("is_flag")).values(note=bindparam("note"))
)
DROP_FLAGGED = FastStatement(delete(SAMPLES).where(Sample.flag == bindparam("is_flag")))
ADD_SAMPLE_IGNORE = fast_insert_ignore(SAMPLES, columns=COLUMNS)


def _sample(n: int, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": n,
        "name": f"s{n}",
        "flag": n % 2 == 0,
        "maybe": None if n % 3 == 0 else n % 3 == 1,
        "at": AT + timedelta(minutes=n, microseconds=n),
        "later": None if n % 2 else datetime(2026, 6, 1, 12, tzinfo=timezone(timedelta(hours=2))),
        "doc": {"n": n, "nested": {"list": [1, "two", None, True], "é": 0.5}},
        "maybe_doc": None if n % 2 else {"n": n},
        "ratio": n / 10,
        "amount": Decimal("1234567.125") / n,
        "big": 2**40 + n,
        "note": None if n % 2 else "x" * n,
    }
    values["amount"] = values["amount"].quantize(Decimal("0.001"))
    values.update(changes)
    return values


def _expected(values: dict[str, Any]) -> tuple[Any, ...]:
    """The row as the ORM reads it back: datetimes in UTC."""
    row = dict(values)
    for name in ("at", "later"):
        if row[name] is not None:
            row[name] = row[name].astimezone(UTC)
    return tuple(row[name] for name in COLUMNS)


@pytest.fixture
async def samples(database: Database) -> Database:
    """`database` with the test-only `fast_samples` table."""
    async with database.engine.begin() as conn:
        await conn.run_sync(_SampleBase.metadata.create_all)
    return database


@pytest.fixture
def statements(database: Database) -> Iterator[list[str]]:
    """The SQL SQLAlchemy itself sends while the test runs (fast statements send none)."""
    sent: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    yield sent
    event.remove(database.engine.sync_engine, "before_cursor_execute", record)


def _runs_direct(session: AsyncSession) -> bool:
    raw = session.info.get("circlebot.fast.sqlite3")
    return isinstance(raw, sqlite3.Connection | PgLink)


def _orm_row(sample: Sample) -> tuple[Any, ...]:
    return tuple(getattr(sample, name) for name in COLUMNS)


async def test_types_round_trip_between_fast_statements_and_the_orm(
    samples: Database, statements: list[str]
) -> None:
    written = [_sample(n) for n in range(1, 7)]
    async with samples.session() as session:
        await ADD_SAMPLE.executemany(session, written[:3])
        assert await ADD_SAMPLE.execute(session, written[3]) == 1
        (returned,) = await ADD_SAMPLE_RETURNING.rows(session, written[4])
        assert returned == _expected(written[4])
        session.add(Sample(**written[5]))  # the ORM writes the last one
        assert _runs_direct(session)
    assert [s for s in statements if "fast_samples" in s] == [
        next(s for s in statements if s.startswith("INSERT INTO fast_samples"))
    ]  # only the ORM's own INSERT went through SQLAlchemy
    expected = [_expected(values) for values in written]
    async with samples.session() as session:
        orm = [_orm_row(s) for s in (await session.scalars(select(Sample).order_by(Sample.id)))]
        assert orm == expected
        fast = await SAMPLES_FLAGGED.rows(session, {"is_flag": True})
        fast += await SAMPLES_FLAGGED.rows(session, {"is_flag": False})
        assert sorted(fast) == expected
        through_session = await session.execute(SAMPLE.statement(session), {"name": "s4"})
        assert await SAMPLE.rows(session, {"name": "s4"}) == [tuple(through_session.one())]
        # a datetime bound by a fast statement compares in SQL as the ORM's does
        since = AT + timedelta(minutes=3, microseconds=3)
        orm_names = await session.scalars(select(Sample.name).where(Sample.at >= since))
        assert [r[0] for r in await SAMPLES_AT.rows(session, {"since": since})] == sorted(orm_names)


async def test_rowcount_of_fast_writes_matches_the_session_path(samples: Database) -> None:
    async with samples.session() as session:
        await ADD_SAMPLE.executemany(session, [_sample(n) for n in range(1, 6)])
        assert await RENAME_FLAGGED.execute(session, {"is_flag": True, "note": "even"}) == 2
        through_session = await session.execute(
            RENAME_FLAGGED.statement(session), {"is_flag": False, "note": "odd"}
        )
        assert through_session.rowcount == 3  # type: ignore[attr-defined]
        assert await RENAME_FLAGGED.execute(session, {"is_flag": False, "note": "odd"}) == 3
        assert await ADD_SAMPLE_IGNORE.execute(session, _sample(1)) == 0  # the key exists
        assert await ADD_SAMPLE_IGNORE.execute(session, _sample(9)) == 1
        assert await DROP_FLAGGED.execute(session, {"is_flag": True}) == 2
        assert await DROP_FLAGGED.execute(session, {"is_flag": True}) == 0
        notes = await session.scalars(select(Sample.note).order_by(Sample.id))
        assert list(notes) == ["odd", "odd", "odd", None]  # s1, s3, s5, then s9 as written


async def test_a_unique_violation_is_sqlalchemys_integrity_error(samples: Database) -> None:
    async with samples.session() as session:
        await ADD_SAMPLE.execute(session, _sample(1))
    for run in (
        lambda s: ADD_SAMPLE.execute(s, _sample(2, name="s1")),
        lambda s: ADD_SAMPLE.executemany(s, [_sample(3), _sample(4, name="s1")]),
        lambda s: ADD_SAMPLE_RETURNING.rows(s, _sample(5, name="s1")),
        lambda s: s.execute(ADD_SAMPLE.statement(s), _sample(6, name="s1")),  # the ORM's way
    ):
        with pytest.raises(IntegrityError) as raised:
            async with samples.session() as session:
                await run(session)
        if samples.is_postgres:
            assert getattr(raised.value.orig, "sqlstate", None) == "23505"
    async with samples.session() as session:
        assert (await session.scalars(select(Sample.name))).all() == ["s1"]


async def test_expanding_in_runs_through_the_session(
    samples: Database, statements: list[str]
) -> None:
    async with samples.session() as session:
        await ADD_SAMPLE.executemany(session, [_sample(n) for n in range(1, 5)])
        found = await SAMPLES_NAMED.rows(session, {"names": ["s2", "s4", "s9"]})
    assert sorted(found) == [("s2",), ("s4",)]
    assert any("fast_samples" in s for s in statements)


async def test_a_fast_write_is_read_by_the_orm_in_the_same_transaction(
    samples: Database,
) -> None:
    async with samples.session() as session:
        await ADD_SAMPLE.execute(session, _sample(1))
        assert (await session.get(Sample, 1)) is not None
        await RENAME_FLAGGED.execute(session, {"is_flag": False, "note": "fast"})
        assert await session.scalar(select(Sample.note).where(Sample.id == 1)) == "fast"


async def test_a_session_reused_for_two_transactions_keeps_each_one_whole(
    samples: Database,
) -> None:
    async with samples.sessions() as session:
        async with session.begin():
            await ADD_SAMPLE.execute(session, _sample(1))
        with pytest.raises(RuntimeError):
            async with session.begin():
                await ADD_SAMPLE.execute(session, _sample(2))
                raise RuntimeError("the batch failed")
        async with session.begin():
            await ADD_SAMPLE.execute(session, _sample(3))
    async with samples.session() as session:
        assert sorted((await session.scalars(select(Sample.name))).all()) == ["s1", "s3"]


async def test_uncommitted_fast_writes_are_not_seen_by_another_session(
    samples: Database,
) -> None:
    async with samples.session() as writer:
        await ADD_SAMPLE.execute(writer, _sample(1))
        async with samples.session() as reader:
            assert await SAMPLE.rows(reader, {"name": "s1"}) == []
    async with samples.session() as reader:
        assert len(await SAMPLE.rows(reader, {"name": "s1"})) == 1


async def test_defer_merged_folds_only_into_the_row_still_queued_for_its_key() -> None:
    statement = FastStatement(select(Deadline.id))  # never run: only queued

    def add(queued: dict[str, Any], row: Mapping[str, Any]) -> bool:
        if row["n"] >= 100:
            return False  # a row the merge refuses is queued on its own
        queued["n"] += row["n"]
        return True

    session = AsyncSession()
    for key, n in [("a", 1), ("b", 1), ("a", 2), ("a", 100), ("a", 3)]:
        defer_merged(session, statement, key, {"key": key, "n": n}, add)
    assert [(r["key"], r["n"]) for r in deferred(session, statement)] == [
        ("a", 3),
        ("b", 1),
        ("a", 103),  # refused, then the next "a" folded into it (the latest for the key)
    ]
    queued = deferred(session, statement)
    queued[:] = [{**row} for row in queued]  # edited in place (e.g. a member forgotten)
    defer_merged(session, statement, "b", {"key": "b", "n": 1}, add)
    assert [r["n"] for r in deferred(session, statement)] == [3, 1, 103, 1]
    session.info.pop("circlebot.fast.deferred")  # as a flush takes the queue
    defer_merged(session, statement, "a", {"key": "a", "n": 1}, add)
    assert [r["n"] for r in deferred(session, statement)] == [1]
    await flush_deferred(AsyncSession())  # nothing queued there: nothing to run


def test_sqlite_datetimes_in_a_row_give_each_its_own_text() -> None:
    first = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    other = datetime(2026, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    later = first + timedelta(microseconds=1)
    texts = [_sqlite_datetime_in(v) for v in (first, first, other, later, first, None)]
    assert texts == [
        "2026-01-02 03:04:05.000000",
        "2026-01-02 03:04:05.000000",
        "2026-01-02 03:04:05.000000",
        "2026-01-02 03:04:05.000001",
        "2026-01-02 03:04:05.000000",
        None,
    ]
