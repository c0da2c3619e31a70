"""Dialect-aware statements shared by repositories: insert-or-ignore and upsert."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert


def _insert(session: AsyncSession, table: Table) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


async def insert_ignore(session: AsyncSession, table: Table, values: Mapping[str, Any]) -> bool:
    """Insert a row unless its key exists; True when this call inserted it."""
    stmt: Insert = _insert(session, table).values(**values).on_conflict_do_nothing()
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0) == 1)


async def upsert(
    session: AsyncSession,
    table: Table,
    *,
    values: Mapping[str, Any],
    keys: Sequence[str],
    update: Mapping[str, Any],
) -> None:
    """Insert a row or, when `keys` collide, apply `update` (values or SQL expressions)."""
    stmt = _insert(session, table).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=dict(update))
    await session.execute(stmt)


def dialect_name(session: AsyncSession) -> str:
    """`sqlite` or `postgresql`."""
    return session.bind.dialect.name if session.bind is not None else "sqlite"
