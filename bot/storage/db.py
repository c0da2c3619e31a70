"""The database: URL normalisation, engine set-up (SQLite WAL or PostgreSQL), migrations."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.storage.deferred_writes import flush_deferred
from bot.storage.hooks import run_before_commit, take_after_commit
from bot.storage.inline_sqlite import inline_creator, make_synchronous

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class DatabaseUnavailable(Exception):
    """The database cannot be used right now; the message says why and what to do."""


def normalize_url(raw: str) -> URL:
    """Accept plain URLs (`sqlite:///c.db`, `postgresql://u@h/db`) and pick the async driver."""
    try:
        url = make_url(raw.strip())
    except ArgumentError as exc:
        raise DatabaseUnavailable(
            f"invalid database URL {raw!r}: use sqlite:///path/circlebot.db or "
            "postgresql://user@host:5432/dbname"
        ) from exc
    backend = url.get_backend_name()
    if backend in {"postgres", "postgresql"}:
        return url.set(drivername="postgresql+asyncpg")
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    raise DatabaseUnavailable(
        f"unsupported database {backend!r}: circlebot runs on SQLite or PostgreSQL"
    )


def explain(exc: BaseException, url: URL) -> str:
    """A clear sentence for a database failure, without credentials."""
    safe = url.render_as_string(hide_password=True)
    message = str(getattr(exc, "orig", None) or exc)
    if "database is locked" in message:
        return (
            f"the SQLite database {url.database} is locked by another process; stop the other "
            "circlebot (or tool) using it, or use PostgreSQL for several processes"
        )
    if "unable to open database file" in message:
        return (
            f"cannot open the SQLite database {url.database}: check that its directory exists "
            "and is writable"
        )
    return (
        f"cannot use the database {safe}: {message.strip().splitlines()[0] if message else exc!r}"
    )


TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock


def is_transient_conflict(exc: BaseException) -> bool:
    """True for PostgreSQL deadlocks and serialization failures: retrying the transaction helps."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code in TRANSIENT_SQLSTATES


async def before_commit_work(session: AsyncSession) -> None:
    """What a transaction runs just before its commit: the work queued with
    `hooks.before_commit`, then the writes queued with `defer`."""
    await run_before_commit(session)
    await flush_deferred(session)  # writes a batch queued with `defer`


def after_commit_work(session: AsyncSession) -> None:
    """What runs once a transaction committed: the work queued with `hooks.after_commit`."""
    for work in take_after_commit(session):
        try:
            work()
        except Exception:  # committed: a failing follow-up must not look like a failure
            log.exception("after-commit work failed (the transaction is committed)")


@asynccontextmanager
async def reused_transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A transaction on a session kept for more, finished as `Database.session` finishes its
    own; whatever its outcome, it leaves nothing in the session (no objects, no per-transaction
    `info`: caches, queued work, held objects), so the next one starts as on a new session."""
    try:
        async with session.begin():
            yield session
            await before_commit_work(session)
        after_commit_work(session)
    finally:
        session.expunge_all()
        session.info.clear()


class Database:
    """An async SQLAlchemy engine and session factory for one database URL."""

    def __init__(
        self, url: str, *, echo: bool = False, lock_timeout: float = 5.0, durable: bool = True
    ) -> None:
        """`durable=False`: a scratch SQLite file (replay's own) whose commits need not
        survive a power cut; SQLite then never waits for the disk (`synchronous=OFF`)."""
        self.url = normalize_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.is_postgres = not self.is_sqlite
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            database = self.url.database or ":memory:"
            kwargs["async_creator"] = inline_creator(database, timeout=lock_timeout)
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            busy_ms = int(lock_timeout * 1000)
            event.listen(
                self.engine.sync_engine,
                "connect",
                lambda conn, _record: _sqlite_pragmas(conn, busy_ms, durable=durable),
            )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on error.

        Before the commit: the work queued with `hooks.before_commit`, then the writes queued
        with `defer`; after a successful commit, the work queued with `hooks.after_commit`.
        """
        async with self.sessions() as session:
            async with session.begin():
                yield session
                await before_commit_work(session)
            after_commit_work(session)

    async def check(self) -> None:
        """Raise DatabaseUnavailable with a clear message unless the database answers."""
        if self.is_sqlite and self.url.database not in (None, "", ":memory:"):
            parent = _missing_parent(self.url.database)
            if parent is not None:
                raise DatabaseUnavailable(
                    f"cannot open the SQLite database {self.url.database}: the directory "
                    f"{parent} does not exist"
                )
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (TimeoutError, OperationalError, DBAPIError, OSError) as exc:
            raise DatabaseUnavailable(explain(exc, self.url)) from exc

    async def upgrade(self) -> None:
        """Apply every Alembic migration (all rule branches) to the newest revision."""
        await self.check()
        try:
            async with self.engine.begin() as conn:
                await conn.run_sync(_run_upgrade)
        except (OperationalError, DBAPIError) as exc:
            raise DatabaseUnavailable(explain(exc, self.url)) from exc

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(connection: Connection | None = None) -> Any:
    """An Alembic Config pointing at the packaged migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


MIGRATION_LOCK = 0x63697263  # PostgreSQL advisory lock id: one `db upgrade` at a time


def _run_upgrade(connection: Connection) -> None:
    from alembic import command

    if connection.dialect.name == "postgresql":  # replicas' init containers may start together
        connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
    command.upgrade(alembic_config(connection), "heads")


def _missing_parent(database: str) -> str | None:
    """The directory of a SQLite file when it does not exist, else None."""
    parent = os.path.dirname(os.path.abspath(os.path.expanduser(database)))
    return None if os.path.isdir(parent) else parent


WAL_CHECKPOINT_PAGES = 10_000


def _sqlite_pragmas(dbapi_connection: Any, busy_ms: int, *, durable: bool = True) -> None:
    make_synchronous(dbapi_connection)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={'NORMAL' if durable else 'OFF'}")
    # a checkpoint (copying the WAL into the database, two fsyncs) every ~40 MB of WAL instead
    # of SQLite's 4 MB: on a busy bot most of a commit's time was its share of checkpoints
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
