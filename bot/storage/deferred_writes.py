"""Writes queued for the end of a transaction: a statement's rows run as one `executemany`.

`Database.session` (and a reused transaction) runs them just before commit, in the order their
statements were first queued; a rollback drops them. Rows of one key may fold into one write
(`defer_merged`: counters added up).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.fast import FastStatement

_DEFERRED = "circlebot.fast.deferred"
_MERGED_KEY = "circlebot.fast.merged"


def defer(session: AsyncSession, statement: FastStatement, row: Mapping[str, Any]) -> None:
    """Queue a write for the end of the transaction: all of a statement's rows run as one
    `executemany` just before commit (`Database.session` does it; a rollback drops them).

    Only for writes nothing in the same transaction reads back from the database (counters
    read by a later job, or rows the writer also keeps in a per-transaction cache).
    """
    queued: dict[FastStatement, list[Mapping[str, Any]]] = session.info.setdefault(_DEFERRED, {})
    queued.setdefault(statement, []).append(row)


def defer_merged(
    session: AsyncSession,
    statement: FastStatement,
    key: Any,
    row: dict[str, Any],
    merge: Callable[[dict[str, Any], Mapping[str, Any]], bool],
) -> bool:
    """`defer` `row` (queued itself), or fold it into the row queued last for the same `key`
    when that one still waits and `merge(queued, row)` (which changes it in place) says the two
    make one write (e.g. counters added up): fewer rows for the commit's `executemany`. True
    when it was folded; a merge that refuses leaves the queued row as it was."""
    queued = deferred(session, statement)
    latest: dict[Any, tuple[int, dict[str, Any]]] = session.info.setdefault(
        _MERGED_KEY, {}
    ).setdefault(statement, {})
    found = latest.get(key)
    if found is not None:
        index, waiting = found
        # still queued where it was put (a flush or an edit of the queue may have taken it)
        if index < len(queued) and queued[index] is waiting and merge(waiting, row):
            return True
    latest[key] = (len(queued), row)
    queued.append(row)
    return False


def deferred(session: AsyncSession, statement: FastStatement) -> list[Mapping[str, Any]]:
    """The rows queued for `statement` in this transaction (a live list: edit it in place)."""
    queued: dict[FastStatement, list[Mapping[str, Any]]] = session.info.setdefault(_DEFERRED, {})
    return queued.setdefault(statement, [])


async def flush_deferred(session: AsyncSession) -> None:
    """Run the writes queued with `defer`, in the order their statements were first queued."""
    queued: dict[FastStatement, list[Mapping[str, Any]]] | None = session.info.pop(_DEFERRED, None)
    session.info.pop(_MERGED_KEY, None)
    for statement, rows in (queued or {}).items():
        await statement.executemany(session, rows)
