"""The outbox: actions are stored before sending, sent once, retried with backoff, never dropped."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import Action, ActionResult, NotifyModerators, action_from_json
from bot.adapter import Adapter, PermanentError, TransientError, split_community
from bot.circle_config import CircleConfig
from bot.clock import Clock
from bot.delivery import resolve
from bot.metrics import Metrics
from bot.storage.db import Database
from bot.storage.models import OutboxEntry
from bot.storage.sql import dialect_name, insert_ignore, insert_ignore_returning

log = logging.getLogger(__name__)

OUTBOX = OutboxEntry.__table__
SentCallback = Callable[[OutboxEntry, Action, ActionResult], Any]


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
    values = _row(key, rule, action, now)
    return await insert_ignore(session, OUTBOX, values)  # type: ignore[arg-type]


async def enqueue_many(
    session: AsyncSession, items: Sequence[tuple[str, str | None, Action, datetime]]
) -> None:
    """Store actions (key, rule, action, now) in one statement; keys stored before are ignored."""
    rows = [_row(key, rule, action, now) for key, rule, action, now in items]
    await insert_ignore_returning(session, OUTBOX, rows, returning="key")  # type: ignore[arg-type]


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


class OutboxSender:
    """Claims pending outbox rows and executes them through the community's adapter."""

    def __init__(
        self,
        *,
        database: Database,
        clock: Clock,
        config: CircleConfig,
        adapters: Mapping[str, Adapter],
        replica: str,
        on_sent: SentCallback | None = None,
        lease: timedelta = timedelta(seconds=60),
        max_attempts: int = 30,
        metrics: Metrics | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.config = config
        self.adapters = adapters
        self.replica = replica
        self.on_sent = on_sent
        self.lease = lease
        self.max_attempts = max_attempts
        self.metrics = metrics or Metrics()
        self._lock = asyncio.Lock()
        self._drainer: asyncio.Task[None] | None = None
        self._again = False

    def kick(self) -> None:
        """Drain in a background task (platform mode): the caller never waits on a send backlog."""
        if self._drainer is not None and not self._drainer.done():
            self._again = True  # the running drainer takes one more round
            return
        self._drainer = asyncio.create_task(self._drain_in_background())

    async def settle(self) -> None:
        """Wait for the background drainer, if any, to finish its rounds."""
        if self._drainer is not None:
            await asyncio.gather(self._drainer, return_exceptions=True)

    async def _drain_in_background(self) -> None:
        while True:
            self._again = False
            try:
                await self.drain()
            except Exception:
                log.exception("background outbox drain failed; the next kick or tick retries")
                return
            if not self._again:
                return

    async def drain(self, *, limit: int = 200) -> int:
        """Send every due pending action (in batches); returns how many were sent."""
        sent = 0
        async with self._lock:
            while True:
                ids = await self._claim(limit)
                if not ids:
                    return sent
                for row_id in ids:
                    sent += await self._send_one(row_id)

    async def depth(self) -> int:
        async with self.database.session() as session:
            query = (
                select(func.count()).select_from(OutboxEntry).where(OutboxEntry.status == "pending")
            )
            return int(await session.scalar(query) or 0)

    async def next_attempt_at(self) -> datetime | None:
        async with self.database.session() as session:
            query = select(func.min(OutboxEntry.next_attempt_at)).where(
                OutboxEntry.status == "pending"
            )
            return await session.scalar(query)

    async def release(self) -> None:
        """Hand back claimed, unsent rows (graceful shutdown)."""
        async with self.database.session() as session:
            await session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.claimed_by == self.replica, OutboxEntry.status == "pending")
                .values(claimed_by=None, claimed_until=None)
            )

    async def _claim(self, limit: int) -> list[int]:
        now = self.clock.now()
        async with self.database.session() as session:
            query = (
                select(OutboxEntry.id)
                .where(
                    OutboxEntry.status == "pending",
                    OutboxEntry.next_attempt_at <= now,
                    or_(OutboxEntry.claimed_until.is_(None), OutboxEntry.claimed_until < now),
                )
                .order_by(OutboxEntry.id)
                .limit(limit)
            )
            if dialect_name(session) == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list((await session.scalars(query)).all())
            if ids:
                await session.execute(
                    update(OutboxEntry)
                    .where(OutboxEntry.id.in_(ids))
                    .values(claimed_by=self.replica, claimed_until=now + self.lease)
                )
            return ids

    async def _send_one(self, row_id: int) -> int:
        row = await self._hold(row_id)
        if row is None:
            return 0
        action = action_from_json(row.payload)
        platform, _ = split_community(action.community)
        adapter = self.adapters.get(platform)
        if adapter is None:
            await self._finish(
                row, status="pending", error=f"no adapter for {platform}", retry=True
            )
            return 0
        community = self.config.for_community(action.community)
        started = time.perf_counter()
        try:
            result = ActionResult()
            for concrete in resolve(action, adapter.capabilities, community):
                result = await adapter.execute(concrete)
        except TransientError as exc:
            await self._retry(row, str(exc), exc.retry_after)
            return 0
        except PermanentError as exc:
            log.warning("action %s failed for good: %s", row.key, exc)
            self.metrics.actions_failed.labels(kind=row.kind, reason="permanent").inc()
            await self._finish(row, status="failed", error=f"{exc.code}: {exc}")
            if exc.tell_moderators and not isinstance(action, NotifyModerators):
                await self._tell_moderators_once(action.community, exc)
            return 0
        except Exception as exc:  # an adapter bug must not lose the action
            log.exception("action %s raised; will retry", row.key)
            await self._retry(row, repr(exc), None)
            return 0
        self.metrics.send_seconds.labels(kind=row.kind).observe(time.perf_counter() - started)
        self.metrics.actions_sent.labels(kind=row.kind).inc()
        await self._finish(row, status="sent", result=result)
        if self.on_sent is not None and action.tag:
            await self.on_sent(row, action, result)
        return 1

    async def _hold(self, row_id: int) -> OutboxEntry | None:
        """Renew this replica's unexpired claim on a row just before sending it, else None.

        The renewal is one conditional UPDATE: once a lease ran out (this replica was slow,
        paused or its batch was long) another replica may claim the row, and this one must not
        send it too. The lease must outlast one send (adapter timeouts are shorter).
        """
        now = self.clock.now()
        async with self.database.session() as session:
            result = await session.scalars(
                update(OutboxEntry)
                .where(
                    OutboxEntry.id == row_id,
                    OutboxEntry.status == "pending",
                    OutboxEntry.claimed_by == self.replica,
                    OutboxEntry.claimed_until >= now,
                )
                .values(claimed_until=now + self.lease)
                .returning(OutboxEntry)
            )
            return result.first()

    async def _retry(self, row: OutboxEntry, error: str, retry_after: float | None) -> None:
        attempts = row.attempts + 1
        if attempts >= self.max_attempts:
            log.error("action %s gave up after %d attempts: %s", row.key, attempts, error)
            self.metrics.actions_failed.labels(kind=row.kind, reason="gave_up").inc()
            await self._finish(row, status="failed", error=error, attempts=attempts)
            return
        self.metrics.action_retries.labels(kind=row.kind).inc()
        delay = backoff(attempts)
        if retry_after is not None:
            delay = max(delay, timedelta(seconds=retry_after))
        log.info("action %s will be retried in %.1fs: %s", row.key, delay.total_seconds(), error)
        async with self.database.session() as session:
            await session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id == row.id, OutboxEntry.claimed_by == self.replica)
                .values(
                    attempts=attempts,
                    last_error=error[:2000],
                    next_attempt_at=self.clock.now() + delay,
                    claimed_by=None,
                    claimed_until=None,
                )
            )

    async def _finish(
        self,
        row: OutboxEntry,
        *,
        status: str,
        error: str | None = None,
        result: ActionResult | None = None,
        retry: bool = False,
        attempts: int | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status, "claimed_by": None, "claimed_until": None}
        if status == "sent":
            values.update(sent_at=self.clock.now(), result=(result or ActionResult()).model_dump())
        if error is not None:
            values["last_error"] = error[:2000]
        if attempts is not None:
            values["attempts"] = attempts
        if retry:
            values["next_attempt_at"] = self.clock.now() + backoff(row.attempts + 1)
            values["attempts"] = row.attempts + 1
        where = [OutboxEntry.id == row.id]
        if status != "sent":  # a sent action is recorded whoever holds the row now
            where.append(OutboxEntry.claimed_by == self.replica)
        async with self.database.session() as session:
            await session.execute(update(OutboxEntry).where(*where).values(**values))

    async def _tell_moderators_once(self, community: str, exc: PermanentError) -> None:
        notice = NotifyModerators(
            community=community,
            text=f"Heads-up: I could not complete an action ({exc.code}): {exc}. "
            "I will not repeat this notice; please check my permissions.",
        )
        async with self.database.session() as session:
            await enqueue(
                session,
                key=f"perm:{community}:{exc.code}",
                rule=None,
                action=notice,
                now=self.clock.now(),
            )
