"""Fast statements on PostgreSQL run on the session's asyncpg connection, in its transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import DDL, bindparam, select, text
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import Database, is_transient_conflict
from bot.storage.fast import FastStatement, full_select
from bot.storage.fast_pg import PgLink, rowcount
from bot.storage.models import Deadline
from bot.storage.sql import fast_upsert

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
SET = fast_upsert(
    Deadline.__table__,  # type: ignore[arg-type]
    columns=("community", "rule", "key", "due_at", "payload", "claimed_by", "claimed_until"),
    keys=("community", "rule", "key"),
    replace=("due_at", "payload"),
)
KEYS = FastStatement(select(Deadline.key).order_by(Deadline.key))
FULL = FastStatement(full_select(Deadline).where(Deadline.key == bindparam("key")))
DEADLOCK = FastStatement(
    text("DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$")
)
BY_ID = FastStatement(select(Deadline.key).where(Deadline.id == bindparam("id")))


def _row(key: str) -> dict[str, object]:
    return {
        "community": "test:c",
        "rule": "r",
        "key": key,
        "due_at": AT,
        "payload": {"step": key},
        "claimed_by": None,
        "claimed_until": None,
    }


@pytest.fixture
def pg(postgres_database: Database) -> Database:
    """The PostgreSQL test database (these tests have no SQLite variant)."""
    return postgres_database


async def _keys(database: Database) -> list[str]:
    async with database.session() as session:
        return [row[0] for row in await KEYS.rows(session, {})]


async def test_statements_run_on_the_sessions_own_connection_in_its_transaction(
    pg: Database,
) -> None:
    async with pg.session() as session:
        await SET.execute(session, _row("a"))
        link = session.info["circlebot.fast.sqlite3"]
        assert isinstance(link, PgLink)
        pooled = await (await session.connection()).get_raw_connection()
        assert link.connection is pooled.driver_connection
        assert link.connection.is_in_transaction()
        # SQLAlchemy's own statements run in the same transaction and see the fast write
        assert (await session.scalars(select(Deadline.key))).all() == ["a"]
    assert await _keys(pg) == ["a"]


async def test_a_savepoint_rolls_back_the_fast_writes_made_in_it(pg: Database) -> None:
    async with pg.session() as session:
        await SET.execute(session, _row("outer"))
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                await SET.execute(session, _row("inner"))
                assert [r[0] for r in await KEYS.rows(session, {})] == ["inner", "outer"]
                raise RuntimeError("undo the savepoint")
        assert [r[0] for r in await KEYS.rows(session, {})] == ["outer"]
    assert await _keys(pg) == ["outer"]


async def _error(session: AsyncSession, run: Callable[[], Awaitable[Any]]) -> BaseException:
    with pytest.raises(StatementError) as raised:
        await run()
    await session.rollback()
    return raised.value


async def test_errors_are_the_classes_the_session_path_raises(pg: Database) -> None:
    async with pg.sessions() as session:
        fast = await _error(session, lambda: DEADLOCK.execute(session, {}))
        slow = await _error(session, lambda: session.execute(DEADLOCK.statement(session)))
        assert type(fast) is type(slow)
        assert isinstance(fast, DBAPIError) and is_transient_conflict(fast)  # the engine retries

        wrong = {"id": "not a number"}  # asyncpg refuses to encode the argument
        fast = await _error(session, lambda: BY_ID.rows(session, wrong))
        slow = await _error(session, lambda: session.execute(BY_ID.statement(session), wrong))
        assert type(fast) is type(slow)
        assert type(fast.orig) is type(slow.orig)  # type: ignore[attr-defined]


async def test_a_lost_connection_is_invalidated_and_the_next_session_works(
    pg: Database,
) -> None:
    async with pg.session() as session:
        await SET.execute(session, _row("kept"))
    with pytest.raises(DBAPIError) as raised:
        async with pg.session() as session:
            await SET.execute(session, _row("lost"))
            link = session.info["circlebot.fast.sqlite3"]
            pid = link.connection.get_server_pid()
            async with pg.engine.connect() as other:
                await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                for _ in range(100):  # until the backend is gone (at most ~1 s)
                    gone = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
                    if not (await other.execute(gone, {"pid": pid})).scalar():
                        break
                    await asyncio.sleep(0.01)
            await FULL.rows(session, {"key": "kept"})
    assert raised.value.connection_invalidated
    assert await _keys(pg) == ["kept"]


async def _read_on_two_connections(pg: Database) -> None:
    async with pg.session() as one, pg.session() as two:
        for session in (one, two):
            (row,) = await FULL.rows(session, {"key": "a"})
            assert row[2] == "r"


async def test_ddl_run_through_sqlalchemy_drops_the_cached_statements(pg: Database) -> None:
    async with pg.session() as session:
        await SET.execute(session, _row("a"))
    await _read_on_two_connections(pg)  # FULL is prepared on both
    async with pg.session() as session:  # on one of them; its result type changes
        await session.execute(DDL("ALTER TABLE deadlines ALTER COLUMN rule TYPE text"))
    await _read_on_two_connections(pg)  # the other one must not run its stale statement


def test_rowcount_reads_command_status_as_the_dialect_does() -> None:
    assert rowcount("UPDATE 3") == 3
    assert rowcount("INSERT 0 1") == 1
    assert rowcount("DELETE 0") == 0
    assert rowcount("SELECT 12") == 12
    assert rowcount("DO") == -1
    assert rowcount(None) == -1
