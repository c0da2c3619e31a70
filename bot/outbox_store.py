"""Outbox rows: storing an action to send (`enqueue`) and the statements the sender runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Table, and_, bindparam, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import Action
from bot.storage.fast import FastStatement
from bot.storage.models import OutboxEntry
from bot.storage.sql import fast_insert_ignore

OUTBOX: Table = OutboxEntry.__table__  # type: ignore[assignment]
"""A claim older than this part of the lease is renewed before the next send."""

OUT: Any = OUTBOX.c
_COLUMNS: tuple[str, ...] = ("key", "community", "rule", "kind", "payload", "status")
_COLUMNS += ("attempts", "next_attempt_at", "created_at")
_ENQUEUE = fast_insert_ignore(OUTBOX, columns=_COLUMNS)

PENDING = OUT.status == "pending"
_DUE = and_(
    PENDING,
    OUT.next_attempt_at <= bindparam("now"),
    or_(OUT.claimed_until.is_(None), OUT.claimed_until < bindparam("now")),
)
_PICK = select(OUT.id).where(_DUE).order_by(OUT.id).limit(bindparam("limit", type_=Integer))
_CLAIMED = (OUT.id, OUT.key, OUT.community, OUT.rule, OUT.kind, OUT.payload, OUT.attempts)
_TAKE: dict[str, Any] = {"claimed_by": bindparam("replica"), "claimed_until": bindparam("until")}
CLAIM = FastStatement(  # SQLite: one statement; writers are serialised
    update(OUTBOX).where(OUT.id.in_(_PICK)).values(_TAKE).returning(*_CLAIMED)
)
PICK_LOCKED = FastStatement(_PICK.with_for_update(skip_locked=True))  # PostgreSQL
TAKE_PICKED = FastStatement(
    update(OUTBOX)
    .where(OUT.id.in_(bindparam("ids", expanding=True)))
    .values(_TAKE)
    .returning(*_CLAIMED)
)
_MINE = (OUT.claimed_by == bindparam("replica"), PENDING)
RENEW = FastStatement(
    update(OUTBOX)
    .where(
        *_MINE,
        OUT.claimed_until >= bindparam("now"),
        OUT.id >= bindparam("low"),
        OUT.id <= bindparam("high"),
    )
    .values(claimed_until=bindparam("until"))
    .returning(OUT.id)
)
_UNCLAIMED: dict[str, Any] = {"claimed_by": null(), "claimed_until": null()}
SENT = FastStatement(  # recorded whoever holds the row now: the send happened
    update(OUTBOX)
    .where(OUT.id == bindparam("row_id"))
    .values(status="sent", sent_at=bindparam("at"), result=bindparam("outcome"), **_UNCLAIMED)
)
_ROW_OF_MINE = (OUT.id == bindparam("row_id"), OUT.claimed_by == bindparam("replica"))
FAILED = FastStatement(
    update(OUTBOX)
    .where(*_ROW_OF_MINE)
    .values(status="failed", last_error=bindparam("error"), attempts=bindparam("tries"))
    .values(_UNCLAIMED)
)
AGAIN = FastStatement(
    update(OUTBOX)
    .where(*_ROW_OF_MINE)
    .values(attempts=bindparam("tries"), last_error=bindparam("error"))
    .values(next_attempt_at=bindparam("next"), **_UNCLAIMED)
)
RELEASE = FastStatement(update(OUTBOX).where(*_MINE).values(_UNCLAIMED))


def backoff(attempts: int) -> timedelta:
    """Exponential backoff: 1s, 2s, 4s ... capped at 5 minutes."""
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), 300))


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    rule: str | None,
    action: Action,
    now: datetime,
) -> bool:
    """Store an action to send; a key stored before is ignored (idempotent)."""
    return await _ENQUEUE.execute(session, _row(key, rule, action, now)) == 1


async def enqueue_many(
    session: AsyncSession, items: Sequence[tuple[str, str | None, Action, datetime]]
) -> None:
    """Store actions (key, rule, action, now) in one call; keys stored before are ignored."""
    await _ENQUEUE.executemany(session, [_row(*item) for item in items])


def _row(key: str, rule: str | None, action: Action, now: datetime) -> dict[str, Any]:
    return {
        "key": key[:255],
        "community": action.community,
        "rule": rule,
        "kind": str(getattr(action, "kind", type(action).__name__)),
        "payload": action.model_dump(mode="json"),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
