"""Repositories of the core tables: inbox, deadlines, members, communities, job claims."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import String, Table, and_, bindparam, delete, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.base import UTCDateTime
from bot.storage.deferred_writes import defer, deferred, flush_deferred
from bot.storage.fast import FastStatement, adopt, full_select, runs_inline
from bot.storage.models import Community, Deadline, InboxEntry, JobClaim
from bot.storage.sql import (
    dialect_name,
    fast_upsert,
    insert_ignore,
    insert_ignore_returning,
)

INBOX = InboxEntry.__table__
DEADLINES = Deadline.__table__
CLAIMS = JobClaim.__table__
COMMUNITIES = Community.__table__


async def first_time_seen_many(
    session: AsyncSession, keys: Sequence[str], now: datetime
) -> set[str]:
    """Record event keys in one statement; the keys not handled before (each once)."""
    unique = sorted(set(keys))  # one order for every replica: no deadlock between batches
    if await runs_inline(session):  # one statement, the keys as one JSON array
        params = {"keys": json.dumps(unique), "seen_at": now}
        return {key for (key,) in await _SEE_JSON.rows(session, params)}
    rows = [{"key": key, "seen_at": now} for key in unique]
    return await insert_ignore_returning(session, INBOX, rows, returning="key")  # type: ignore[arg-type]


async def forget_seen(session: AsyncSession, keys: Collection[str]) -> None:
    """Un-record event keys recorded in this transaction but left unhandled (a cut batch)."""
    if await runs_inline(session):
        await _UNSEE_JSON.execute(session, {"keys": json.dumps(sorted(keys))})
        return
    await session.execute(delete(InboxEntry).where(InboxEntry.key.in_(sorted(keys))))


async def prune_inbox(session: AsyncSession, older_than: datetime) -> int:
    """Forget event keys older than the platforms' retry horizon."""
    result = await session.execute(delete(InboxEntry).where(InboxEntry.seen_at < older_than))
    return int(getattr(result, "rowcount", 0) or 0)


async def remember_community(
    session: AsyncSession, community: str, now: datetime, name: str | None = None
) -> None:
    platform = community.partition(":")[0]
    values = {"id": community, "platform": platform, "name": name, "first_seen": now}
    await insert_ignore(session, COMMUNITIES, values)  # type: ignore[arg-type]


async def known_communities(session: AsyncSession) -> list[str]:
    return list((await session.scalars(select(Community.id).order_by(Community.id))).all())


# SQLite only (inline): a batch's keys as one JSON array, so recording them is one statement
# whatever their number (RETURNING gives the keys really inserted: the new ones)
_SEE_JSON = FastStatement(
    text(
        "INSERT OR IGNORE INTO inbox (key, seen_at) "
        "SELECT value, :seen_at FROM json_each(:keys) RETURNING key"
    ).bindparams(bindparam("seen_at", type_=UTCDateTime()), bindparam("keys", type_=String()))
)
_UNSEE_JSON = FastStatement(
    text("DELETE FROM inbox WHERE key IN (SELECT value FROM json_each(:keys))").bindparams(
        bindparam("keys", type_=String())
    )
)
_SET_DEADLINE = fast_upsert(
    DEADLINES,  # type: ignore[arg-type]
    columns=("community", "rule", "key", "due_at", "payload", "claimed_by", "claimed_until"),
    keys=("community", "rule", "key"),
    replace=("due_at", "payload", "claimed_by", "claimed_until"),
)
_CANCEL_DEADLINE = FastStatement(
    delete(Deadline).where(
        Deadline.community == bindparam("community"),
        Deadline.rule == bindparam("rule"),
        Deadline.key == bindparam("key"),
    )
)

_GET_DEADLINE = FastStatement(
    full_select(Deadline).where(
        Deadline.community == bindparam("community"),
        Deadline.rule == bindparam("rule"),
        Deadline.key == bindparam("key"),
    )
)


class Deadlines:
    """Durable deadlines of one rule in one community."""

    # session.info key of an optional callable told every due time set (replay's stepping)
    OBSERVER = "circlebot.deadline_set"
    # session.info key: when true, `set` queues its upsert for the commit (`defer`): one
    # executemany for a group of due deadlines on PostgreSQL instead of a round trip each
    DEFER_SETS = "circlebot.deadlines.defer"

    def __init__(self, session: AsyncSession, *, community: str, rule: str) -> None:
        self.session = session
        self.community = community
        self.rule = rule

    async def set(self, key: str, due_at: datetime, payload: dict[str, Any] | None = None) -> None:
        """Create or move the deadline `key`."""
        observer = self.session.info.get(Deadlines.OBSERVER)
        if observer is not None:
            observer(due_at)
        values = {
            "community": self.community,
            "rule": self.rule,
            "key": key,
            "due_at": due_at,
            "payload": payload or {},
            "claimed_by": None,
            "claimed_until": None,
        }
        if self.session.info.get(Deadlines.DEFER_SETS):
            defer(self.session, _SET_DEADLINE, values)
            return
        await _SET_DEADLINE.execute(self.session, values)

    async def cancel(self, key: str) -> None:
        self._unqueue(lambda queued: queued == key)
        params = {"community": self.community, "rule": self.rule, "key": key}
        await _CANCEL_DEADLINE.execute(self.session, params)

    def _unqueue(self, matches: Callable[[str], bool]) -> None:
        """Drop this rule's queued sets of matching keys (a cancel after a deferred set)."""
        if not self.session.info.get(Deadlines.DEFER_SETS):
            return
        queued = deferred(self.session, _SET_DEADLINE)
        queued[:] = [
            row
            for row in queued
            if not (
                row["community"] == self.community
                and row["rule"] == self.rule
                and matches(row["key"])
            )
        ]

    async def cancel_prefix(self, prefix: str) -> None:
        self._unqueue(lambda queued: queued.startswith(prefix))
        await self.session.execute(
            delete(Deadline).where(
                Deadline.community == self.community,
                Deadline.rule == self.rule,
                Deadline.key.startswith(prefix, autoescape=True),
            )
        )

    async def get(self, key: str) -> Deadline | None:
        if self.session.info.get(Deadlines.DEFER_SETS):
            await flush_deferred(self.session)  # queued sets first: this read must see them
        params = {"community": self.community, "rule": self.rule, "key": key}
        rows = await _GET_DEADLINE.rows(self.session, params)
        return adopt(self.session, Deadline, rows)[0] if rows else None

    def _where(self, key: str) -> tuple[Any, ...]:
        return (
            Deadline.community == self.community,
            Deadline.rule == self.rule,
            Deadline.key == key,
        )


async def claim_due_deadlines(
    session: AsyncSession, *, now: datetime, replica: str, lease: timedelta, limit: int
) -> list[int]:
    """Claim up to `limit` due deadlines for this replica (SKIP LOCKED on PostgreSQL)."""
    if dialect_name(session) != "postgresql":  # SQLite: one statement; writers are serialised
        params = {"now": now, "limit": limit, "replica": replica, "until": now + lease}
        return sorted(row_id for (row_id,) in await _CLAIM_DUE.rows(session, params))
    query = (
        select(Deadline.id)
        .where(
            Deadline.due_at <= now,
            or_(Deadline.claimed_until.is_(None), Deadline.claimed_until < now),
        )
        .order_by(Deadline.due_at, Deadline.id)
        .limit(limit)
    )
    if dialect_name(session) == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list((await session.scalars(query)).all())
    if ids:
        await session.execute(
            update(Deadline)
            .where(Deadline.id.in_(ids))
            .values(claimed_by=replica, claimed_until=now + lease)
        )
    return ids


@dataclass(frozen=True)
class DueDeadline:
    """A claimed deadline taken out of the table to run."""

    id: int
    community: str
    rule: str
    key: str
    due_at: datetime
    payload: dict[str, Any]


_TAKE_COLUMNS = ("id", "community", "rule", "key", "due_at", "payload")
_DEADLINES = cast(Table, DEADLINES)
_DUE = (
    _DEADLINES.c.due_at <= bindparam("now"),
    or_(_DEADLINES.c.claimed_until.is_(None), _DEADLINES.c.claimed_until < bindparam("now")),
)
_CLAIM_DUE = FastStatement(
    update(_DEADLINES)
    .where(
        _DEADLINES.c.id.in_(
            select(_DEADLINES.c.id)
            .where(*_DUE)
            .order_by(_DEADLINES.c.due_at, _DEADLINES.c.id)
            .limit(bindparam("limit"))
        )
    )
    .values(claimed_by=bindparam("replica"), claimed_until=bindparam("until"))
    .returning(_DEADLINES.c.id)
)
_TAKE_ONE = FastStatement(
    delete(_DEADLINES)
    .where(_DEADLINES.c.id == bindparam("id"), _DEADLINES.c.claimed_by == bindparam("replica"))
    .returning(*(_DEADLINES.c[name] for name in _TAKE_COLUMNS))
)
_NEXT_DUE = FastStatement(
    select(_DEADLINES.c.due_at).order_by(_DEADLINES.c.due_at).limit(bindparam("one"))
)


async def take_claimed_deadlines(
    session: AsyncSession, ids: Sequence[int], *, replica: str
) -> list[DueDeadline]:
    """Remove deadlines this replica claimed and return them in due order.

    One `DELETE ... WHERE claimed_by = replica RETURNING`: a deadline whose lease ran out and
    that another replica re-claimed (or already ran) is left out, so a deadline runs once even
    when two replicas race for it.
    """
    if not ids:
        return []
    if await runs_inline(session):  # a statement per id costs less than building one for all
        taken = []
        for row_id in ids:
            taken += await _TAKE_ONE.rows(session, {"id": row_id, "replica": replica})
        return sorted((DueDeadline(*row) for row in taken), key=lambda row: (row.due_at, row.id))
    result = await session.execute(
        delete(_DEADLINES)
        .where(_DEADLINES.c.id.in_(ids), _DEADLINES.c.claimed_by == replica)
        .returning(*(_DEADLINES.c[name] for name in _TAKE_COLUMNS))
    )
    rows = [DueDeadline(*row) for row in result.all()]
    return sorted(rows, key=lambda row: (row.due_at, row.id))


async def next_deadline_at(session: AsyncSession) -> datetime | None:
    """The earliest due time of any deadline (for simulated clocks)."""
    rows = await _NEXT_DUE.rows(session, {"one": 1})
    return rows[0][0] if rows else None


async def release_deadline_claims(session: AsyncSession, *, replica: str) -> None:
    """Hand back unfinished claims (graceful shutdown)."""
    await session.execute(
        update(Deadline)
        .where(Deadline.claimed_by == replica)
        .values(claimed_by=None, claimed_until=None)
    )


async def claim_job_fire(
    session: AsyncSession, *, job_id: str, fire_time: datetime, replica: str, now: datetime
) -> bool:
    """Insert the claim row of one job fire; only the inserter runs it."""
    values = {
        "job_id": job_id,
        "fire_time": fire_time,
        "claimed_by": replica,
        "claimed_at": now,
        "status": "running",
    }
    return await insert_ignore(session, CLAIMS, values)  # type: ignore[arg-type]


async def job_fire_claimed(session: AsyncSession, *, job_id: str, fire_time: datetime) -> bool:
    found = await session.scalar(
        select(JobClaim.job_id).where(
            and_(JobClaim.job_id == job_id, JobClaim.fire_time == fire_time)
        )
    )
    return found is not None
