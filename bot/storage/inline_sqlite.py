"""An aiosqlite-compatible SQLite connection that runs inline on the event loop (no thread hops).

aiosqlite hands every statement to a worker thread and back, which costs far more than SQLite
itself for the small statements circlebot runs per event. SQLAlchemy's aiosqlite dialect accepts
any object with aiosqlite's interface through `async_creator`, so this module provides one whose
coroutines complete at once. Statements block the loop for their (microsecond) duration; a lock
held by another process blocks it for at most the busy timeout, which is why the embedded SQLite
store is for one process and PostgreSQL for several.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.util.concurrency import await_


class InlineCursor:
    """The async cursor interface SQLAlchemy's aiosqlite adapter uses, done synchronously."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        if parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class InlineConnection:
    """The async connection interface of aiosqlite, backed by a plain sqlite3 connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection: sqlite3.Connection | None = connection
        self._conn = connection

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._live().cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        self._live().commit()

    async def rollback(self) -> None:
        self._live().rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._live().create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._live().isolation_level

    def _live(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection


def inline_creator(database: str, *, timeout: float) -> Any:
    """An `async_creator` for `create_async_engine` opening `database` inline."""

    async def connect() -> InlineConnection:
        connection = sqlite3.connect(
            database,
            timeout=timeout,
            check_same_thread=False,
        )
        return InlineConnection(connection)

    return connect


async def _done() -> None:
    return None


class InlineAdaptedCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's adapted aiosqlite cursor, calling the inline sqlite3 cursor directly.

    SQLAlchemy hands every driver coroutine to the event loop through a greenlet switch (about
    seven per statement); the inline connection's coroutines never suspend, so this cursor runs
    them synchronously instead, which makes a small statement several times cheaper.
    """

    __slots__ = ()

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    def _raw(self) -> sqlite3.Cursor:
        inline = self._cursor
        assert isinstance(inline, InlineCursor)
        return inline._cursor

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        await_(_done())  # SQLAlchemy requires one real await per async call
        try:
            raw = self._raw()
            if parameters is None:
                raw.execute(operation)
            else:
                raw.execute(operation, parameters)
            if raw.description:
                self._rows = collections.deque(raw.fetchall())
            return None
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        await_(_done())
        try:
            self._raw().executemany(operation, seq_of_parameters)
            return None
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def close(self) -> None:
        self._rows.clear()
        if self._cursor is not None and not self._soft_closed_memoized:
            self._raw().close()


class InlineAdaptedConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's adapted aiosqlite connection with synchronous cursors, commit and rollback."""

    __slots__ = ()

    _cursor_cls = InlineAdaptedCursor

    def commit(self) -> None:
        live = self._connection._connection
        if live is not None:
            try:
                live.commit()
            except Exception as error:
                self._handle_exception(error)

    def rollback(self) -> None:
        live = self._connection._connection
        if live is not None:
            try:
                live.rollback()
            except Exception as error:
                self._handle_exception(error)


def make_synchronous(adapted: Any) -> None:
    """Switch an adapted connection over an InlineConnection to synchronous cursors."""
    if isinstance(adapted, AsyncAdapt_aiosqlite_connection) and isinstance(
        adapted._connection, InlineConnection
    ):
        adapted.__class__ = InlineAdaptedConnection
