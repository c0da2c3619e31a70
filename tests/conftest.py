"""Shared fixtures: databases (SQLite always, PostgreSQL when configured) and the harness."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import Session, UOWTransaction

from bot.storage.db import Database, normalize_url
from tests.harness import Harness, postgres_url


async def reset_postgres(url: str) -> None:
    """Drop every table so each test starts from an empty, freshly migrated database."""
    engine = create_async_engine(normalize_url(url))
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


def _backends() -> list[pytest.param]:  # type: ignore[valid-type]
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]


@pytest.fixture(params=_backends())
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: SQLite, and PostgreSQL when CIRCLEBOT_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'circle.db'}"
        return
    url = postgres_url()
    if url is None:
        pytest.skip("CIRCLEBOT_TEST_POSTGRES_URL is not set")
    await reset_postgres(url)  # fails loudly when set but unreachable
    yield url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """`database_url`'s database, migrated and open (disposed after the test)."""
    db = Database(database_url)
    await db.upgrade()
    yield db
    await db.dispose()


@pytest.fixture
async def postgres_database() -> AsyncIterator[Database]:
    """A fresh, migrated PostgreSQL database, for PostgreSQL-only tests (skipped without one)."""
    url = postgres_url()
    if url is None:
        pytest.skip("CIRCLEBOT_TEST_POSTGRES_URL is not set")
    await reset_postgres(url)
    db = Database(url)
    await db.upgrade()
    yield db
    await db.dispose()


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file URL (for tests that need no PostgreSQL variant)."""
    return f"sqlite:///{tmp_path / 'circle.db'}"


@pytest.fixture
async def harness(sqlite_url: str) -> AsyncIterator[Harness]:
    """The engine with every shipped rule on defaults, a recording adapter and a simulated clock."""
    h = await Harness.create(sqlite_url)
    yield h
    await h.close()


@pytest.fixture
def flushed() -> Iterator[list[str]]:
    """Class names of the objects each ORM flush writes, while the test runs ("?" for none)."""
    seen: list[str] = []

    def record(session: Session, _flush: UOWTransaction, _instances: object) -> None:
        objects = [*session.new, *session.dirty, *session.deleted]
        seen.extend(type(obj).__name__ for obj in objects) if objects else seen.append("?")

    event.listen(Session, "before_flush", record)
    yield seen
    event.remove(Session, "before_flush", record)
