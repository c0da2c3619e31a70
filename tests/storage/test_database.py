"""Storage set-up: URL normalisation, migrations matching models, clear errors for bad databases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import bot.storage.models  # noqa: F401
from bot.events import MessagePosted
from bot.rule import RuleRegistry, discover_rules
from bot.storage.base import Base
from bot.storage.db import Database, DatabaseUnavailable, normalize_url
from tests.core.sample_rules import EchoRule
from tests.harness import Harness


@pytest.mark.parametrize(
    ("raw", "driver"),
    [
        ("sqlite:///c.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///c.db", "sqlite+aiosqlite"),
        ("postgresql://postgres@127.0.0.1/test", "postgresql+asyncpg"),
        ("postgres://u:p@h:5432/db", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg"),
    ],
)
def test_plain_urls_get_the_async_driver(raw: str, driver: str) -> None:
    assert normalize_url(raw).drivername == driver


@pytest.mark.parametrize("raw", ["mysql://u@h/db", "not a url", ""])
def test_unsupported_urls_are_clear_errors(raw: str) -> None:
    with pytest.raises(DatabaseUnavailable, match=r"SQLite or PostgreSQL|invalid database URL"):
        normalize_url(raw)


async def test_migrations_create_exactly_the_models(database_url: str) -> None:
    discover_rules()
    database = Database(database_url)
    await database.upgrade()
    await database.upgrade()  # idempotent

    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection)  # type: ignore[arg-type]
        return list(compare_metadata(context, Base.metadata))

    async with database.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    await database.dispose()
    assert differences == []


async def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'nowhere' / 'c.db'}")
    with pytest.raises(DatabaseUnavailable, match="does not exist"):
        await database.upgrade()
    await database.dispose()


async def test_locked_database_is_a_clear_error_and_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    url = f"sqlite:///{path}"
    h = await Harness.create(url, registry=RuleRegistry([EchoRule]))
    h.engine.database = Database(url, lock_timeout=0.1)
    h.engine.outbox.database = h.engine.database
    locker = sqlite3.connect(path, timeout=0)
    locker.execute("BEGIN EXCLUSIVE")
    ping = MessagePosted(
        platform="test",
        event_id="e1",
        community=h.community,
        at=h.clock.now(),
        user="alice",
        channel="general",
        message_id="m1",
        text="ping",
    )
    try:
        with pytest.raises(DatabaseUnavailable, match="locked by another process"):
            await h.engine.handle(ping)
    finally:
        locker.rollback()
        locker.close()
    assert await h.engine.handle(ping) is True  # the platform's retry is handled normally
    assert [a.text for a in h.sent] == ["pong"]
    await h.close()


async def test_unreachable_postgres_is_a_clear_error() -> None:
    database = Database("postgresql://postgres@127.0.0.1:1/nothing")
    with pytest.raises(DatabaseUnavailable, match="cannot use the database"):
        await database.check()
    await database.dispose()
