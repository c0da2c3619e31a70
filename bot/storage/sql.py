"""Dialect-aware statements shared by repositories: insert-or-ignore and upsert.

Statements are built once per (dialect, table, columns) and executed with bind parameters:
building `insert().values(**row)` per call costs several times more than running it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ClauseElement

from bot.storage.fast import FastStatement

_PREPARED: dict[tuple[Any, ...], Any] = {}


def _insert(session: AsyncSession, table: Table) -> Any:
    return (
        postgresql.insert(table) if dialect_name(session) == "postgresql" else sqlite.insert(table)
    )


def prepared(session: AsyncSession, key: tuple[Any, ...], build: Callable[[Any], Any]) -> Any:
    """The statement cached under `key` for this session's dialect; `build(insert)` makes it."""
    dialect = dialect_name(session)
    full = (dialect, *key)
    stmt = _PREPARED.get(full)
    if stmt is None:
        base = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = _PREPARED[full] = build(base)
    return stmt


async def insert_ignore(session: AsyncSession, table: Table, values: Mapping[str, Any]) -> bool:
    """Insert a row unless its key exists; True when this call inserted it."""
    stmt = prepared(
        session,
        ("ignore", table.name, tuple(values)),
        lambda insert: insert(table).on_conflict_do_nothing(),
    )
    result = await session.execute(stmt, dict(values))
    return bool(getattr(result, "rowcount", 0) == 1)


async def insert_ignore_returning(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]], *, returning: str
) -> set[Any]:
    """Insert many rows in one statement, skipping existing keys; `returning` of the new rows."""
    if not rows:
        return set()
    stmt = (
        _insert(session, table)
        .values([dict(r) for r in rows])
        .on_conflict_do_nothing()
        .returning(table.c[returning])
    )
    result = await session.execute(stmt)
    return set(result.scalars().all())


async def upsert(
    session: AsyncSession,
    table: Table,
    *,
    values: Mapping[str, Any],
    keys: Sequence[str],
    update: Mapping[str, Any],
) -> None:
    """Insert a row or, when `keys` collide, apply `update` (values or SQL expressions)."""
    if any(isinstance(v, ClauseElement) for v in update.values()):
        stmt = _insert(session, table).values(**values)
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=dict(update))
        await session.execute(stmt)
        return
    # plain values: when each equals the inserted one, `excluded` carries it (cacheable)
    if all(name in values and values[name] is update[name] for name in update):
        await upsert_rows(session, table, rows=[values], keys=keys, replace=tuple(update))
        return
    stmt = _insert(session, table).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=dict(update))
    await session.execute(stmt)


async def upsert_rows(
    session: AsyncSession,
    table: Table,
    *,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    replace: Sequence[str] = (),
    add: Sequence[str] = (),
    extra: Mapping[str, Callable[[Any], Any]] | None = None,
    name: str = "",
) -> None:
    """Insert rows; on a key conflict set `replace` columns to the new values and add `add` ones.

    `extra` maps more columns to a function of the `excluded` row giving their new value (for
    conditional updates); give such statements a distinct `name` so they are cached apart.
    """
    if not rows:
        return
    names = tuple(rows[0])

    def build(insert: Any) -> Any:
        return _on_conflict_update(insert(table), table, keys, replace, add, extra)

    stmt = prepared(
        session, ("upsert", table.name, names, tuple(keys), tuple(replace), tuple(add), name), build
    )
    params = [dict(r) for r in rows]
    await session.execute(stmt, params if len(params) > 1 else params[0])


def _on_conflict_update(
    stmt: Any,
    table: Table,
    keys: Sequence[str],
    replace: Sequence[str],
    add: Sequence[str],
    extra: Mapping[str, Callable[[Any], Any]] | None,
) -> Any:
    """`stmt` (a dialect insert) that, on a key conflict, replaces, adds and derives columns."""
    excluded = stmt.excluded
    set_: dict[str, Any] = {c: excluded[c] for c in replace}
    set_.update({c: table.c[c] + excluded[c] for c in add})
    for column, make in (extra or {}).items():
        set_[column] = make(excluded)
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=set_)


def dialect_name(session: AsyncSession) -> str:
    """`sqlite` or `postgresql`."""
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def fast_upsert(
    table: Table,
    *,
    columns: Sequence[str],
    keys: Sequence[str],
    replace: Sequence[str] = (),
    add: Sequence[str] = (),
    extra: Mapping[str, Callable[[Any], Any]] | None = None,
) -> FastStatement:
    """A hot-path upsert with one bind parameter per column (see `upsert_rows` for the rest)."""

    def build(dialect: str) -> Any:
        base = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = base(table).values({name: bindparam(name) for name in columns})
        return _on_conflict_update(stmt, table, keys, replace, add, extra)

    return FastStatement(build)


def fast_insert_ignore(table: Table, *, columns: Sequence[str]) -> FastStatement:
    """A hot-path insert that skips rows whose key exists (rowcount 1 when it inserted)."""

    def build(dialect: str) -> Any:
        base = postgresql.insert if dialect == "postgresql" else sqlite.insert
        return (
            base(table).values({name: bindparam(name) for name in columns}).on_conflict_do_nothing()
        )

    return FastStatement(build)
