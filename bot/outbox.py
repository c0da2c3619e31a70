"""The outbox: actions are stored before sending, sent once, retried with backoff, never dropped.

How a row travels (every step is one committed transaction, none is open during a send):
- `enqueue` stores the action in the caller's transaction (insert-or-ignore on its key).
- `OutboxSender._claim` takes up to `limit` due rows with one statement that also returns them
  (SQLite: ``UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING``; PostgreSQL: ``SELECT ...
  FOR UPDATE SKIP LOCKED`` then ``UPDATE ... RETURNING`` in the same transaction), setting
  ``claimed_by`` to this replica and ``claimed_until`` to now + lease.
- The lease: a row is sent only by the replica whose unexpired claim holds it, with at least
  (1 - RENEW_FRACTION) of a lease left when the send starts. The claim's age is measured from
  before the claim statement ran, on the monotonic clock (a paused or slow process sees real
  time) and on the engine's clock (simulated runs); while it is under RENEW_FRACTION of the
  lease the row is sent as claimed. Older claims are renewed first, for the rest of the batch,
  by one conditional UPDATE (still pending, claimed by this replica, unexpired); a row it does
  not renew (the lease ran out: another replica may have taken it) is not sent by this one.
  So a send (with the adapter's own retries) must take less than (1 - RENEW_FRACTION) of the
  lease; with sends of ~0.1 s and the 60 s lease, a renewal comes every ~60 sends of a batch.
- After the send one statement marks the row sent (whoever holds it now: it was sent), failed
  (PermanentError, or too many attempts) or due again after a backoff and Retry-After. A tagged
  action's `on_sent` follow-up (the rule learns e.g. the message id) runs in the transaction of
  its sent mark: both commit or neither. When the follow-up fails (after retrying a PostgreSQL
  conflict), that transaction is rolled back and the mark is committed alone: the action was
  sent, and it is never sent again for a failing follow-up.

Sent marks are never batched: each is committed before the next send. A crash between a send
and its mark makes the row be sent again once the lease runs out, so at most one action is ever
sent twice (the kill -9 scale test allows exactly one); batching N marks would allow N.
`release` waits for a running drain (the lock): handing back claims mid-batch would let another
replica take rows this one is about to send without a renewal.

Per action sent: one transaction (the mark, with its follow-up); per batch one more (the claim),
and one per RENEW_FRACTION of a lease spent sending. The marks of a drain share one session
(`reused_transaction`: nothing of one transaction is left in it for the next). Statements are
`FastStatement`s (bot/storage/fast.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from time import monotonic, perf_counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import Action, ActionResult, NotifyModerators, action_from_json
from bot.adapter import Adapter, PermanentError, TransientError, split_community
from bot.circle_config import CircleConfig
from bot.clock import Clock
from bot.delivery import resolve
from bot.metrics import Metrics
from bot.outbox_store import (
    AGAIN,
    CLAIM,
    FAILED,
    OUT,
    PENDING,
    PICK_LOCKED,
    RELEASE,
    RENEW,
    SENT,
    TAKE_PICKED,
    backoff,
    enqueue,
    enqueue_many,
)
from bot.outbox_together import effect_free, send_together
from bot.storage.db import Database, is_transient_conflict, reused_transaction
from bot.storage.fast import FastStatement
from bot.storage.models import OutboxEntry
from bot.storage.sql import dialect_name

log = logging.getLogger(__name__)

__all__ = ["RENEW_FRACTION", "OutboxSender", "SentCallback", "backoff", "enqueue", "enqueue_many"]

SentCallback = Callable[[OutboxEntry, Action, ActionResult, AsyncSession], Awaitable[None]]
"""`on_sent(row, action, result, session)`: writes through `session` commit with the sent mark."""
RENEW_FRACTION = 0.1
FOLLOW_UP_TRIES = 3
"""Transactions tried for a mark with its follow-up when PostgreSQL reports a conflict."""


@dataclass(slots=True)
class _Claim:
    """When a claim was taken (or renewed), and the claimed row as the claim returned it."""

    since: float
    """`monotonic()` before the claim (or its renewal) ran."""
    at: datetime
    """The engine clock's time then (`claimed_until` is `at` + lease)."""
    id: int
    key: str
    community: str
    rule: str | None
    kind: str
    payload: dict[str, Any]
    attempts: int

    def entry(self) -> OutboxEntry:
        """The sent row as an (unattached) OutboxEntry, for `on_sent` callbacks."""
        fields = ("id", "key", "community", "rule", "kind", "payload", "attempts")
        return OutboxEntry(status="sent", **{name: getattr(self, name) for name in fields})


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
        self._by_kind: dict[str, tuple[Any, Any]] = {}
        self._marks: AsyncSession | None = None

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
        # one session for this drain's marks, a transaction each, on one connection held for
        # the drain (not taken from the pool and handed back around every mark)
        async with (
            self._lock,
            self.database.engine.connect() as connection,
            self.database.sessions(bind=connection) as marks,
        ):
            self._marks = marks
            try:
                while True:
                    batch = await self._claim(limit)
                    if not batch:
                        return sent
                    if effect_free(self.adapters) and all(map(self._fresh, batch)):
                        together = await send_together(self, batch, marks)
                        if together is not None:
                            sent += together
                            continue
                    lost: set[int] = set()
                    for index, row in enumerate(batch):
                        if row.id in lost:
                            continue
                        if not self._fresh(row):
                            lost |= await self._renew(batch[index:])
                            if row.id in lost:
                                continue
                        sent += await self._send_one(row)
            finally:
                self._marks = None

    async def depth(self) -> int:
        """Actions waiting to be sent (every replica's)."""
        async with self.database.session() as session:
            return int(await session.scalar(select(func.count()).where(PENDING)) or 0)

    async def next_attempt_at(self) -> datetime | None:
        """When the earliest pending action is due."""
        async with self.database.session() as session:
            return await session.scalar(select(func.min(OUT.next_attempt_at)).where(PENDING))

    async def release(self) -> None:
        """Hand back claimed, unsent rows (graceful shutdown), after a running drain ends."""
        async with self._lock:
            await self._write(RELEASE, {"replica": self.replica})

    async def _claim(self, limit: int) -> list[_Claim]:
        """Claim up to `limit` due rows (committed); they come back in id order."""
        since = monotonic()
        now = self.clock.now()
        take = {"replica": self.replica, "until": now + self.lease}
        async with self.database.session() as session:
            if dialect_name(session) == "postgresql":
                picked = await PICK_LOCKED.rows(session, {"now": now, "limit": limit})
                ids = [row_id for (row_id,) in picked]
                rows = await TAKE_PICKED.rows(session, {"ids": ids, **take}) if ids else []
            else:
                rows = await CLAIM.rows(session, {"now": now, "limit": limit, **take})
        rows.sort(key=itemgetter(0))  # RETURNING promises no order
        return [_Claim(since, now, *row) for row in rows]

    def _fresh(self, row: _Claim) -> bool:
        """True while the claim is younger than RENEW_FRACTION of the lease, on both clocks."""
        fresh = self.lease * RENEW_FRACTION
        if monotonic() - row.since >= fresh.total_seconds():
            return False
        return self.clock.now() - row.at < fresh

    async def _renew(self, rows: Sequence[_Claim]) -> set[int]:
        """Renew this replica's unexpired claims on `rows`; returns the ids it no longer holds.

        One conditional UPDATE: once a lease ran out (this replica was slow, paused or its batch
        was long) another replica may claim the row, and this one must not send it too.
        """
        since = monotonic()
        now = self.clock.now()
        ids = [row.id for row in rows]
        params = {"replica": self.replica, "now": now, "until": now + self.lease}
        params.update(low=min(ids), high=max(ids))
        async with self.database.session() as session:
            held = {row_id for (row_id,) in await RENEW.rows(session, params)}
        lost = set()
        for row in rows:
            if row.id in held:
                row.since, row.at = since, now
            else:
                lost.add(row.id)
        if lost:
            log.info("%d claimed actions expired before sending: not sent here", len(lost))
        return lost

    async def _send_one(self, row: _Claim) -> int:
        try:
            action = action_from_json(row.payload)
            platform, _ = split_community(action.community)
        except Exception as exc:  # a stored action this version cannot read: kept, retried
            log.exception("action %s cannot be read; will retry", row.key)
            await self._retry(row, f"unreadable action: {exc!r}", None)
            return 0
        adapter = self.adapters.get(platform)
        if adapter is None:
            error = f"no adapter for {platform}"
            await self._due_again(row, row.attempts + 1, error, backoff(row.attempts + 1))
            return 0
        community = self.config.for_community(action.community)
        started = perf_counter()
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
            await self._fail(row, row.attempts, f"{exc.code}: {exc}")
            if exc.tell_moderators and not isinstance(action, NotifyModerators):
                await self._tell_moderators_once(action.community, exc)
            return 0
        except Exception as exc:  # an adapter bug must not lose the action
            log.exception("action %s raised; will retry", row.key)
            await self._retry(row, repr(exc), None)
            return 0
        seconds, count = self.kind_metrics(row.kind)
        seconds.observe(perf_counter() - started)
        count.inc()
        outcome = {"row_id": row.id, "at": self.clock.now(), "outcome": result.model_dump()}
        if self.on_sent is not None and action.tag:
            await self._mark_sent_and_follow_up(row, action, result, outcome)
        else:
            await self._write(SENT, outcome)
        return 1

    async def _mark_sent_and_follow_up(
        self, row: _Claim, action: Action, result: ActionResult, outcome: Mapping[str, Any]
    ) -> None:
        """Mark the row sent and run `on_sent` in one transaction of the drain's session; if
        that fails, commit the mark alone (the action was sent) and log the lost follow-up."""
        assert self.on_sent is not None and self._marks is not None
        marks = self._marks
        for attempt in range(1, FOLLOW_UP_TRIES + 1):
            try:
                async with reused_transaction(marks):
                    await SENT.execute(marks, outcome)
                    await self.on_sent(row.entry(), action, result, marks)
                return
            except Exception as exc:
                if attempt < FOLLOW_UP_TRIES and is_transient_conflict(exc):
                    log.info("retrying the sent mark of %s after a conflict: %s", row.key, exc)
                    continue
                log.exception(
                    "action %s was sent but its follow-up failed; marking it alone", row.key
                )
                break
        await self._write(SENT, outcome)

    def kind_metrics(self, kind: str) -> tuple[Any, Any]:
        """(send latency histogram, sent counter) of one kind (`labels()` costs more than use)."""
        found = self._by_kind.get(kind)
        if found is None:
            found = self._by_kind[kind] = (
                self.metrics.send_seconds.labels(kind=kind),
                self.metrics.actions_sent.labels(kind=kind),
            )
        return found

    async def _retry(self, row: _Claim, error: str, retry_after: float | None) -> None:
        attempts = row.attempts + 1
        if attempts >= self.max_attempts:
            log.error("action %s gave up after %d attempts: %s", row.key, attempts, error)
            self.metrics.actions_failed.labels(kind=row.kind, reason="gave_up").inc()
            await self._fail(row, attempts, error)
            return
        self.metrics.action_retries.labels(kind=row.kind).inc()
        delay = backoff(attempts)
        if retry_after is not None:
            delay = max(delay, timedelta(seconds=retry_after))
        log.info("action %s will be retried in %.1fs: %s", row.key, delay.total_seconds(), error)
        await self._due_again(row, attempts, error, delay)

    async def _due_again(self, row: _Claim, attempts: int, error: str, delay: timedelta) -> None:
        """Hand the row back, due again after `delay` (only while this replica holds it)."""
        params = {"row_id": row.id, "replica": self.replica, "tries": attempts}
        params.update(error=error[:2000], next=self.clock.now() + delay)
        await self._write(AGAIN, params)

    async def _fail(self, row: _Claim, attempts: int, error: str) -> None:
        """Mark the row failed for good, keeping the reason (only while this replica holds it)."""
        params = {"row_id": row.id, "replica": self.replica, "tries": attempts}
        await self._write(FAILED, {**params, "error": error[:2000]})

    async def _write(self, statement: FastStatement, params: Mapping[str, Any]) -> int:
        """Run one write in its own transaction; returns the rows it changed.

        During a drain the transactions share one session (fast statements only: nothing of
        one transaction is kept for the next), which halves what a mark costs around SQLite.
        """
        marks = self._marks
        if marks is None:
            async with self.database.session() as session:
                return await statement.execute(session, params)
        async with marks.begin():
            return await statement.execute(marks, params)

    async def _tell_moderators_once(self, community: str, exc: PermanentError) -> None:
        notice = NotifyModerators(
            community=community,
            text=f"Heads-up: I could not complete an action ({exc.code}): {exc}. "
            "I will not repeat this notice; please check my permissions.",
        )
        key = f"perm:{community}:{exc.code}"
        async with self.database.session() as session:
            await enqueue(session, key=key, rule=None, action=notice, now=self.clock.now())
