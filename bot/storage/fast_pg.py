"""Fast statements on PostgreSQL: run straight on the session's asyncpg connection.

SQLAlchemy's asyncpg dialect costs ~0.5 ms of Python per statement on top of asyncpg's own
~0.3 ms. `link` finds the raw `asyncpg.Connection` under a session's SQLAlchemy connection and
makes sure the session's transaction has begun on it: the dialect's adapter begins it lazily, at
the first statement it runs itself (`AsyncAdapt_asyncpg_connection._start_transaction`), and
ends it on the session's commit or rollback, so statements run here are covered by both.
Statements are sent as SQLAlchemy's asyncpg dialect compiles them (positional `$n` with casts)
and go through asyncpg's own prepared-statement cache. Errors are raised as the same
SQLAlchemy exceptions the session path raises (IntegrityError, OperationalError...).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

_STATUS = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+) (\d+)")  # as the dialect reads it


@dataclass(frozen=True, slots=True)
class PgLink:
    """A session transaction's asyncpg connection, as long as that transaction lasts."""

    connection: Any
    """The raw `asyncpg.Connection`."""
    adapted: Any
    """SQLAlchemy's adapter around it (`AsyncAdapt_asyncpg_connection`): transaction, mutex."""
    dialect: Dialect
    owner: AsyncConnection


async def link(connection: AsyncConnection) -> PgLink | None:
    """The asyncpg link of a session's `connection` (its transaction begun), or None."""
    if connection.dialect.name != "postgresql" or connection.dialect.driver != "asyncpg":
        return None
    pooled = await connection.get_raw_connection()
    adapted: Any = pooled.dbapi_connection
    raw = getattr(adapted, "_connection", None)
    if raw is None or not hasattr(adapted, "_start_transaction"):
        return None
    found = PgLink(raw, adapted, connection.dialect, connection)
    async with adapted._execute_mutex:
        await _begin(found)
    return found


async def _begin(found: PgLink) -> None:
    """BEGIN on the connection unless the session's transaction already did (call under mutex)."""
    adapted = found.adapted
    if adapted._transaction is None and adapted.isolation_level != "autocommit":
        try:
            await adapted._start_transaction()
        except Exception as error:
            raise await _as_sqlalchemy(found, error, "BEGIN", ()) from error


async def _ready(found: PgLink) -> None:
    """What the adapter does before each statement (call under its mutex): begin the
    transaction, and drop cached statements and types after DDL run through SQLAlchemy."""
    adapted = found.adapted
    if adapted._transaction is None:
        await _begin(found)
    invalidated = found.dialect._invalidate_schema_cache_asof  # type: ignore[attr-defined]
    if invalidated > adapted._invalidate_schema_cache_asof:
        try:
            await adapted._check_type_cache_invalidation(invalidated)
        except Exception as error:
            raise await _as_sqlalchemy(found, error, "", ()) from error


async def fetch(found: PgLink, sql: str, args: Sequence[Any]) -> list[Any]:
    """The rows of `sql` (asyncpg Records)."""
    adapted = found.adapted
    async with adapted._execute_mutex:
        await _ready(found)
        try:
            rows: list[Any] = await found.connection.fetch(sql, *args)
        except Exception as error:
            raise await _as_sqlalchemy(found, error, sql, args) from error
    return rows


async def execute(found: PgLink, sql: str, args: Sequence[Any]) -> int:
    """Run `sql`; the number of rows it changed (or selected), -1 when the status has none."""
    adapted = found.adapted
    async with adapted._execute_mutex:
        await _ready(found)
        try:
            status: str = await found.connection.execute(sql, *args)
        except Exception as error:
            raise await _as_sqlalchemy(found, error, sql, args) from error
    return rowcount(status)


async def executemany(found: PgLink, sql: str, args: Sequence[Sequence[Any]]) -> None:
    """Run `sql` once per parameter row, pipelined in one call."""
    adapted = found.adapted
    async with adapted._execute_mutex:
        await _ready(found)
        try:
            await found.connection.executemany(sql, args)
        except Exception as error:
            raise await _as_sqlalchemy(found, error, sql, args[0] if args else ()) from error


async def column_types(found: PgLink, sql: str) -> list[int]:
    """The type codes (OIDs) of `sql`'s result columns, as its cursor description gives them."""
    adapted = found.adapted
    async with adapted._execute_mutex:
        await _ready(found)
        try:
            prepared = await found.connection.prepare(sql)
        except Exception as error:
            raise await _as_sqlalchemy(found, error, sql, ()) from error
    return [attribute.type.oid for attribute in prepared.get_attributes()]


def rowcount(status: str | None) -> int:
    """The row count in a command status ('UPDATE 3', 'INSERT 0 1'), as the dialect reads it."""
    matched = _STATUS.match(status or "")
    return int(matched.group(1)) if matched else -1


async def _as_sqlalchemy(found: PgLink, error: Exception, sql: str, params: Any) -> Exception:
    """The SQLAlchemy exception the session path raises for `error` (e.g. IntegrityError).

    asyncpg's exception becomes the dialect's DBAPI class (as its adapter translates it: `orig`
    carries `sqlstate`, which the engine's retry reads), then SQLAlchemy's. A lost connection
    is invalidated, as SQLAlchemy does on a disconnect, so the pool does not hand it out again.
    """
    dbapi: Any = found.dialect.loaded_dbapi
    translated: Exception = error
    if not isinstance(error, dbapi.Error):
        mapping = dbapi._asyncpg_error_translate
        for cls in type(error).__mro__:
            if cls in mapping:
                translated = mapping[cls](error.args[0] if error.args else str(error), error)
                break
    if isinstance(translated, dbapi.InvalidCachedStatementError | dbapi.InternalServerError):
        found.dialect._invalidate_schema_cache()  # type: ignore[attr-defined]  # as the dialect does
    lost = bool(found.connection.is_closed())
    if lost:
        found.adapted._transaction = None  # what the adapter does when its connection is gone
        try:
            await found.owner.invalidate(translated)
        except Exception:  # the original error is the one to report
            pass
    return DBAPIError.instance(
        sql,
        params,
        translated,
        dbapi.Error,
        dialect=found.dialect,
        connection_invalidated=lost,
    )
