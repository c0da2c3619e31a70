"""Hot-path statements: compiled once, run straight on the session's own driver connection.

SQLAlchemy spends ~100 µs building, caching and running even a prepared statement; SQLite
itself needs a few. A `FastStatement` wraps a Core statement (bind parameters by name): it is
compiled once per dialect, its parameters and result columns go through the same type
processors SQLAlchemy would use, and it runs inside the session's transaction on the session's
own connection: the inline sqlite3 one (bot/storage/inline_sqlite.py) or, on PostgreSQL, the
asyncpg one (bot/storage/fast_pg.py). Elsewhere (plain aiosqlite), and for statements compiled
to something a plain driver call cannot run (expanding `IN`), it runs through the session.

Pending ORM changes are flushed before a fast statement runs, as autoflush would, so a fast
read never misses what the session wrote.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, inspect, select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql import Executable

from bot.storage import fast_pg
from bot.storage.base import UTCDateTime
from bot.storage.fast_pg import PgLink
from bot.storage.inline_sqlite import InlineConnection

_RAW_KEY = "circlebot.fast.sqlite3"  # the driver connection (sqlite3, or asyncpg's PgLink)
_TRANSACTION_KEY = "circlebot.fast.transaction"  # the session transaction it was found in
_ADOPTED_KEY = "circlebot.fast.adopted"
_NO_RAW = object()
Processor = Callable[[Any], Any] | None
T = TypeVar("T")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]
    processed: tuple[tuple[int, Callable[[Any], Any]], ...]
    """(position, processor) of the parameters that have a bind processor."""
    result_types: tuple[Any, ...]
    """The SQLAlchemy types of the result columns."""
    converted: tuple[tuple[int, Callable[[Any], Any]], ...] | None
    """(position, processor) of the result columns that have a result processor; None until
    the database described the result (PostgreSQL: a processor may depend on the column's type
    code, e.g. Float or Numeric, as when SQLAlchemy reads the cursor's description)."""


class FastStatement:
    """A Core statement run with plain parameters; fast on inline SQLite and on asyncpg."""

    def __init__(self, statement: Executable | Callable[[str], Executable]) -> None:
        """`statement`, or a function of the dialect name giving it (e.g. upserts)."""
        self._build = statement if callable(statement) else (lambda _dialect: statement)
        self._statements: dict[str, Executable] = {}
        self._compiled: dict[str, _Compiled | None] = {}
        """Per dialect name; None: the statement runs through the session there."""

    def statement(self, session: AsyncSession) -> Executable:
        """The statement for this session's dialect."""
        name = session.bind.dialect.name if session.bind is not None else "sqlite"
        found = self._statements.get(name)
        if found is None:
            found = self._statements[name] = self._build(name)
        return found

    async def rows(self, session: AsyncSession, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run a SELECT (or RETURNING) and return its rows as plain tuples."""
        raw = await _raw(session)
        if isinstance(raw, sqlite3.Connection):
            compiled = self._compile(session, "sqlite")
            if compiled is not None:
                try:
                    found = raw.execute(compiled.sql, _bind(compiled, params)).fetchall()
                except sqlite3.Error as error:
                    raise _as_sqlalchemy(error, compiled, params) from error
                return _convert(compiled, found)
        elif raw is not None:
            compiled = self._compile(session, "postgresql")
            if compiled is not None and compiled.converted is None:
                compiled = await self._describe(raw, compiled)
            if compiled is not None:
                records = await fast_pg.fetch(raw, compiled.sql, _bind(compiled, params))
                return _convert(compiled, [tuple(record) for record in records])
        result = await session.execute(self.statement(session), dict(params))
        return [tuple(row) for row in result.all()]

    async def execute(self, session: AsyncSession, params: Mapping[str, Any]) -> int:
        """Run a write; returns the number of rows it changed."""
        raw = await _raw(session)
        if isinstance(raw, sqlite3.Connection):
            compiled = self._compile(session, "sqlite")
            if compiled is not None:
                try:
                    return raw.execute(compiled.sql, _bind(compiled, params)).rowcount
                except sqlite3.Error as error:
                    raise _as_sqlalchemy(error, compiled, params) from error
        elif raw is not None:
            compiled = self._compile(session, "postgresql")
            if compiled is not None:
                return await fast_pg.execute(raw, compiled.sql, _bind(compiled, params))
        result = await session.execute(self.statement(session), dict(params))
        return int(getattr(result, "rowcount", 0) or 0)

    async def executemany(self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run a write once per row, in one call."""
        if not rows:
            return
        raw = await _raw(session)
        if isinstance(raw, sqlite3.Connection):
            compiled = self._compile(session, "sqlite")
            if compiled is not None:
                try:
                    raw.executemany(compiled.sql, [_bind(compiled, r) for r in rows])
                except sqlite3.Error as error:
                    raise _as_sqlalchemy(error, compiled, rows[0]) from error
                return
        elif raw is not None:
            compiled = self._compile(session, "postgresql")
            if compiled is not None:
                await fast_pg.executemany(raw, compiled.sql, [_bind(compiled, r) for r in rows])
                return
        await session.execute(self.statement(session), [dict(r) for r in rows])

    def _compile(self, session: AsyncSession, name: str) -> _Compiled | None:
        try:
            return self._compiled[name]
        except KeyError:
            assert session.bind is not None
            found = self._compiled[name] = _compile(self.statement(session), session.bind.dialect)
            return found

    async def _describe(self, link: PgLink, compiled: _Compiled) -> _Compiled | None:
        """`compiled` with its result processors, from the result's column type codes."""
        codes = await fast_pg.column_types(link, compiled.sql)
        described: _Compiled | None = None
        if len(codes) == len(compiled.result_types):  # else: let SQLAlchemy match the columns
            processors = (
                _result_processor(type_, link.dialect, code)
                for type_, code in zip(compiled.result_types, codes, strict=True)
            )
            converted = tuple((i, p) for i, p in enumerate(processors) if p is not None)
            described = replace(compiled, converted=converted)
        self._compiled["postgresql"] = described
        return described


def _convert(compiled: _Compiled, found: list[Any]) -> list[tuple[Any, ...]]:
    """Rows with the result processors applied (datetimes, numbers...)."""
    if not found or not compiled.converted:
        return found
    if len(compiled.converted) == 1:  # the common case: one datetime column
        ((index, proc),) = compiled.converted
        out = []
        for row in found:
            value = row[index]
            if value is not None:
                row = (*row[:index], proc(value), *row[index + 1 :])
            out.append(row)
        return out
    rows = [list(row) for row in found]
    for row in rows:
        for index, proc in compiled.converted:
            if row[index] is not None:
                row[index] = proc(row[index])
    return [tuple(row) for row in rows]


def _as_sqlalchemy(error: sqlite3.Error, compiled: _Compiled, params: Any) -> Exception:
    """The SQLAlchemy exception the same error raises on the ordinary path (OperationalError...).

    Callers (the engine's retry and DatabaseUnavailable handling) catch SQLAlchemy's classes.
    """
    return DBAPIError.instance(
        compiled.sql, params, error, sqlite3.Error, dialect=None, connection_invalidated=False
    )


_STORED_LENGTH = len("2026-01-01 00:00:00.000000")


def _sqlite_datetime_in(value: datetime | None) -> str | None:
    """UTCDateTime on SQLite, as SQLAlchemy stores it ('YYYY-MM-DD HH:MM:SS.ffffff', UTC)."""
    if value is None:
        return None
    last = _last_in[0]
    if value is last[0]:  # an event's time is bound by several statements in a row
        return last[1]
    moment = value
    if moment.tzinfo is not UTC:
        if moment.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        moment = moment.astimezone(UTC)
    text = moment.isoformat(" ", "microseconds")[:_STORED_LENGTH]  # without its "+00:00"
    _last_in[0] = (value, text)  # (datetimes are immutable: the same object, the same text)
    return text


_last_in: list[tuple[datetime | None, str | None]] = [(None, None)]
"""The last datetime written and its text, replaced as one tuple (threads read it whole)."""


def _sqlite_datetime_out(value: str | None) -> datetime | None:
    if value is None:
        return None
    if len(value) == _STORED_LENGTH:  # as stored: parsing an offset beats replace(tzinfo=)
        return datetime.fromisoformat(value + "+00:00")
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _bind_processor(type_: Any, dialect: Dialect) -> Processor:
    if dialect.name == "sqlite" and isinstance(type_, UTCDateTime):
        return _sqlite_datetime_in  # the same text SQLAlchemy writes, several times faster
    processor: Processor = type_.dialect_impl(dialect).bind_processor(dialect)
    return processor


def _result_processor(type_: Any, dialect: Dialect, coltype: object = None) -> Processor:
    if dialect.name == "sqlite" and isinstance(type_, UTCDateTime):
        return _sqlite_datetime_out
    processor: Processor = type_.dialect_impl(dialect).result_processor(dialect, coltype)
    return processor


def _bind(compiled: _Compiled, params: Mapping[str, Any]) -> list[Any]:
    values = [
        params[name] if name in params else compiled.defaults[name] for name in compiled.names
    ]
    for index, proc in compiled.processed:
        values[index] = proc(values[index])
    return values


def _compile(statement: Executable, dialect: Dialect) -> _Compiled | None:
    """The statement compiled for `dialect`, or None when a plain driver call cannot run it:
    parameters rendered at execution time (expanding `IN`, literal_execute)."""
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    if compiled.post_compile_params or compiled.literal_execute_params:
        return None
    names = tuple(compiled.positiontup or ())
    binds = tuple(_bind_processor(compiled.binds[name].type, dialect) for name in names)
    columns = getattr(statement, "selected_columns", None)
    if columns is None:
        returning = getattr(statement, "_returning", ()) or ()
        columns = list(returning)
    result_types = tuple(column.type for column in columns)
    converted = None
    if dialect.name == "sqlite" or not result_types:  # SQLite's cursor gives no type codes
        results = (_result_processor(type_, dialect) for type_ in result_types)
        converted = tuple((i, p) for i, p in enumerate(results) if p is not None)
    defaults = {  # literal values the statement carries itself (LIMIT, constants)
        name: compiled.binds[name].effective_value
        for name in names
        if compiled.binds[name].value is not None
    }
    return _Compiled(
        sql=compiled.string,
        names=names,
        defaults=defaults,
        processed=tuple((i, p) for i, p in enumerate(binds) if p is not None),
        result_types=result_types,
        converted=converted,
    )


def adopt(session: AsyncSession, model: type[T], rows: Sequence[Sequence[Any]]) -> list[T]:
    """ORM objects for full rows of `model`'s table (columns in table order), without a query.

    The session's own copy wins when it has one (pending changes were flushed before the read,
    so it holds the same state); otherwise the row becomes a clean persistent object, exactly
    as if the ORM had loaded it.
    """
    table: Any = model.__table__  # type: ignore[attr-defined]
    names = [column.key for column in table.columns]
    mapper = inspect(model)
    identities = session.sync_session.identity_map
    found: list[T] = []
    for row in rows:
        values = dict(zip(names, row, strict=True))
        ident = tuple(values[column.key] for column in mapper.primary_key)
        existing = identities.get(identity_key(model, ident))
        if isinstance(existing, model):
            found.append(existing)
            continue
        obj = model(**values)
        make_transient_to_detached(obj)  # as if loaded: clean, nothing to write back
        session.add(obj)
        found.append(obj)
        hold(session, obj)
    return found


def hold(session: AsyncSession, obj: object) -> None:
    """Keep a clean object for the rest of the transaction (the identity map holds it weakly)."""
    session.info.setdefault(_ADOPTED_KEY, []).append(obj)


def full_select(model: type[Any]) -> Select[Any]:
    """SELECT of every column of `model`'s table, in table order (for `adopt`)."""
    return select(*model.__table__.columns)


async def runs_inline(session: AsyncSession) -> bool:
    """Whether fast statements of this session run straight on sqlite3 (one statement is cheap)."""
    return await _sqlite3(session) is not None


async def _sqlite3(session: AsyncSession) -> sqlite3.Connection | None:
    """The session's inline sqlite3 connection (after flushing pending ORM changes), or None."""
    raw = await _raw(session)
    return raw if isinstance(raw, sqlite3.Connection) else None


async def _raw(session: AsyncSession) -> sqlite3.Connection | PgLink | None:
    """The driver connection fast statements of this session run on (after flushing pending
    ORM changes, as autoflush would): inline sqlite3, asyncpg, or None (through the session)."""
    sync = session.sync_session
    if not sync._is_clean():  # what autoflush checks
        await session.flush()
    info = session.info
    raw: Any = info.get(_RAW_KEY)
    if raw is None or info[_TRANSACTION_KEY] is not sync._transaction:
        raw = await _find_raw(session)  # once per transaction: a reused session may get
        info[_RAW_KEY] = raw  # another pooled connection for the next one
        info[_TRANSACTION_KEY] = sync._transaction
    return None if raw is _NO_RAW else raw


async def _find_raw(session: AsyncSession) -> object:
    connection = await session.connection()
    if connection.dialect.name == "sqlite":
        pooled = await connection.get_raw_connection()
        adapted = pooled.dbapi_connection
        inline = getattr(adapted, "_connection", None)
        if isinstance(inline, InlineConnection) and inline._connection is not None:
            return inline._connection
        return _NO_RAW
    found = await fast_pg.link(connection)
    return _NO_RAW if found is None else found
