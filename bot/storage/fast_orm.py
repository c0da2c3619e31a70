"""ORM objects written by fast statements: an insert or an update without a unit-of-work flush.

A rule that changes a mapped object (`row.state = ...`) leaves the session dirty, and the next
statement of the batch, fast or not, first flushes it: the ORM's unit of work costs ~0.5 ms per
flush on SQLite, more than the rest of an event's SQL. `insert` and `update` write the row with
one `FastStatement` (compiled once per table and set of columns) and leave the object exactly
as if it had been loaded with those values: persistent, clean, in the session's identity map.

Only for models with column attributes named as their columns and scalar (or no) Python-side
defaults; server defaults come back through `RETURNING`. A rollback discards the session, and
with it these objects (the engine retries a batch in a new session).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, bindparam, inspect
from sqlalchemy import insert as sql_insert
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from bot.storage.fast import FastStatement, hold

_UPDATES: dict[tuple[Table, tuple[str, ...]], FastStatement] = {}
_INSERTS: dict[tuple[Table, tuple[str, ...]], FastStatement] = {}
_PK_PREFIX = "pk_"


def _table(obj: object) -> Table:
    table: Any = inspect(type(obj)).local_table
    assert isinstance(table, Table)
    return table


def _update_statement(table: Table, names: tuple[str, ...]) -> FastStatement:
    found = _UPDATES.get((table, names))
    if found is None:
        unknown = set(names) - set(table.columns.keys())
        if unknown:
            raise ValueError(f"{table.name} has no column {', '.join(sorted(unknown))}")
        where = [column == bindparam(_PK_PREFIX + column.key) for column in table.primary_key]
        statement = (
            sql_update(table).where(*where).values({name: bindparam(name) for name in names})
        )
        found = _UPDATES[(table, names)] = FastStatement(statement)
    return found


async def update(session: AsyncSession, obj: object, **values: Any) -> int:
    """Write `values` to `obj`'s row (by primary key) and set them on `obj` as loaded state.

    Returns the number of rows changed (0: the row is gone). Pending changes of the session
    are flushed first, as before any fast statement.
    """
    table = _table(obj)
    statement = _update_statement(table, tuple(sorted(values)))
    params = dict(values)
    for column in table.primary_key:
        params[_PK_PREFIX + column.key] = getattr(obj, column.key)
    changed = await statement.execute(session, params)
    for name, value in values.items():
        set_committed_value(obj, name, value)
    return changed


async def save(session: AsyncSession, obj: object, **values: Any) -> int:
    """`update` with only the values that differ from `obj`'s (no statement when none do):
    what the unit of work would have written at the next flush."""
    changed = {name: value for name, value in values.items() if getattr(obj, name) != value}
    return await update(session, obj, **changed) if changed else 0


def _insert_statement(table: Table, names: tuple[str, ...]) -> FastStatement:
    found = _INSERTS.get((table, names))
    if found is None:
        statement = (
            sql_insert(table)
            .values({name: bindparam(name) for name in names})
            .returning(*table.columns)
        )
        found = _INSERTS[(table, names)] = FastStatement(statement)
    return found


def _default(column: Any) -> Callable[[], Any] | None:
    """How a column left unset gets its value here: a scalar default, or None (the database)."""
    default = column.default
    if default is None:
        return None
    if not default.is_scalar:
        raise ValueError(f"{column.table.name}.{column.key}: only scalar defaults are supported")
    return lambda: default.arg


async def insert(session: AsyncSession, obj: object) -> None:
    """INSERT `obj` (a new, transient object) and make it persistent and clean in the session.

    Every column comes back through `RETURNING` (generated keys, server defaults), so nothing
    on the object is left expired.
    """
    table = _table(obj)
    state: dict[str, Any] = obj.__dict__
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.key in state:
            values[column.key] = state[column.key]
            continue
        make = _default(column)
        if make is not None:
            values[column.key] = make()
    statement = _insert_statement(table, tuple(values))
    (row,) = await statement.rows(session, values)
    for column, value in zip(table.columns, row, strict=True):
        setattr(obj, column.key, value)
    make_transient_to_detached(obj)  # as if loaded: clean, nothing to write back
    session.add(obj)
    hold(session, obj)
