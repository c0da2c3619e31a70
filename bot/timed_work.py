"""Timed work of the engine: due deadlines (the sweep), scheduled job fires, inbox upkeep."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import Action
from bot.adapter import Capabilities
from bot.circle_config import CircleConfig
from bot.clock import Clock
from bot.context import DueItem, JobRun, RuleContext
from bot.outbox import OutboxSender, enqueue, enqueue_many
from bot.rule import JobSpec, RuleRegistry
from bot.storage import repos
from bot.storage.db import Database, DatabaseUnavailable, explain, is_transient_conflict
from bot.storage.fast import runs_inline

log = logging.getLogger(__name__)

MAX_CONFLICT_RETRIES = 5
DEADLINE_GROUP = 25
"""Due deadlines run to a transaction on SQLite, whose statements run in process: a group holds
the event loop (and the Slack ack path) for its whole run, ~20 ms."""
NETWORK_DEADLINE_GROUP = 100
"""The same on PostgreSQL, where every statement is a round trip that frees the loop while it
waits: fewer, larger transactions (measured: 100 due in one group 28 ms, in four 67 ms)."""
"""Claimed deadlines run this many to a transaction."""
Outgoing = list[tuple[str, str | None, Action, datetime]]
"""Actions of due deadlines to store: (outbox key, rule, action, time)."""


class DeadlineFailed(Exception):
    """A rule raised on a due deadline (args: rule, key); its group runs again without it."""

    def __init__(self, deadline_id: int, rule: str, key: str) -> None:
        super().__init__(rule, key)
        self.deadline_id = deadline_id


INBOX_KEEP = timedelta(days=7)
"""Event keys are remembered this long: platforms redeliver within minutes, or on reconnect."""
INBOX_PRUNE_EVERY = timedelta(hours=1)
"""Older keys are deleted at most this often (engine time: the runtime, replay, benchmarks)."""


class TimedWork:
    """The sweep of due deadlines and the run of one job fire (mixed into `Engine`)."""

    database: Database
    config: CircleConfig
    registry: RuleRegistry
    clock: Clock
    replica: str
    deadline_lease: timedelta
    outbox: OutboxSender

    # provided by Engine
    capabilities: Callable[[str], Capabilities]
    _context: Callable[[AsyncSession, str, str, datetime, Capabilities], RuleContext]
    _inbox_pruned_at: datetime | None = None

    # the inbox -------------------------------------------------------------------------------

    async def prune_inbox(self) -> int:
        """Forget event keys older than INBOX_KEEP, at most once per INBOX_PRUNE_EVERY; returns
        how many were deleted. Keeps the inbox (and each event's insert into it) small."""
        now = self.clock.now()
        last = self._inbox_pruned_at
        if last is not None and last <= now < last + INBOX_PRUNE_EVERY:
            return 0
        self._inbox_pruned_at = now
        async with self.database.session() as session:
            return await repos.prune_inbox(session, now - INBOX_KEEP)

    # deadlines ------------------------------------------------------------------------------

    async def sweep(self, *, limit: int = 500, send: bool = True) -> int:
        """Run every due deadline through its rule's `on_due`; returns how many ran.

        Deadlines are first claimed (committed, with a lease, so a crashed replica's claims are
        retaken when the lease runs out), then run DEADLINE_GROUP (SQLite) or
        NETWORK_DEADLINE_GROUP (PostgreSQL) to a transaction.
        """
        group = DEADLINE_GROUP if self.database.is_sqlite else NETWORK_DEADLINE_GROUP
        ran = 0
        while True:
            now = self.clock.now()
            async with self.database.session() as session:
                ids = await repos.claim_due_deadlines(
                    session, now=now, replica=self.replica, lease=self.deadline_lease, limit=limit
                )
            for first in range(0, len(ids), group):
                ran += await self._run_deadlines(ids[first : first + group])
                await asyncio.sleep(0)  # SQLite runs inline: let requests in between groups
            if len(ids) < limit:
                break
        if send and ran:
            await self.outbox.drain()
        return ran

    async def _run_deadlines(self, ids: Sequence[int]) -> int:
        """Run claimed deadlines in one transaction; returns how many ran.

        Like an event's failing rule, a deadline whose rule raises is left out and the others
        run again without it; it stays claimed, so it is retried when its lease runs out.
        """
        failed: set[int] = set()
        conflicts = 0
        while True:
            todo = [deadline_id for deadline_id in ids if deadline_id not in failed]
            if not todo:
                return 0
            try:
                async with self.database.session() as session:
                    if not await runs_inline(session):  # a round trip per statement
                        session.info[repos.Deadlines.DEFER_SETS] = True
                    rows = await repos.take_claimed_deadlines(session, todo, replica=self.replica)
                    ran = await self._run_taken(session, rows)
                return ran
            except DeadlineFailed as failure:
                log.exception("rule %s failed on deadline %s (retried later)", *failure.args)
                failed.add(failure.deadline_id)
            except (OperationalError, DBAPIError) as exc:
                if is_transient_conflict(exc) and conflicts < MAX_CONFLICT_RETRIES:
                    conflicts += 1
                    log.info("retrying deadlines after a database conflict: %s", exc.orig)
                    continue
                raise DatabaseUnavailable(explain(exc, self.database.url)) from exc

    async def _run_taken(self, session: AsyncSession, rows: Sequence[repos.DueDeadline]) -> int:
        """Run taken deadlines in `session`, storing their actions with one statement."""
        await self._prepare_deadlines(session, rows)
        outgoing: Outgoing = []
        ran = 0
        for row in rows:
            ran += await self._run_deadline(session, row, outgoing)
        await enqueue_many(session, outgoing)
        return ran

    async def run_due_inside(
        self, session: AsyncSession, until: datetime, advance: Callable[[datetime], object]
    ) -> datetime | None:
        """Run the deadlines due up to `until` in the caller's transaction, each at its own
        time (`advance` moves a simulated clock there); returns the earliest deadline left.

        For replay, which owns its database: claiming and running in one transaction spares
        the sweep's own transactions. A deadline claimed elsewhere (a failed one waiting for
        its lease) is left, and returned as the earliest; DeadlineFailed propagates.
        """
        while True:
            due_at = await repos.next_deadline_at(session)
            if due_at is None or due_at > until:
                return due_at
            if due_at > self.clock.now():
                advance(due_at)
            ids = await repos.claim_due_deadlines(
                session,
                now=self.clock.now(),
                replica=self.replica,
                lease=self.deadline_lease,
                limit=500,
            )
            if not ids:
                return due_at
            rows = await repos.take_claimed_deadlines(session, ids, replica=self.replica)
            await self._run_taken(session, rows)

    async def _prepare_deadlines(
        self, session: AsyncSession, rows: Sequence[repos.DueDeadline]
    ) -> None:
        """Let each rule load what its due deadlines of this group need at once."""
        groups: dict[tuple[str, str], list[repos.DueDeadline]] = {}
        for row in rows:
            groups.setdefault((row.community, row.rule), []).append(row)
        now = self.clock.now()
        for (community, name), group in groups.items():
            rule = self.registry.find(name)
            if rule is None or not self.config.for_community(community).is_enabled(name):
                continue
            items = [
                DueItem(community=community, key=r.key, due_at=r.due_at, payload=r.payload)
                for r in group
            ]
            ctx = self._context(session, rule.name, community, now, self.capabilities(community))
            try:
                await rule.before_due(items, ctx)
            except Exception as exc:
                if isinstance(exc, OperationalError | DBAPIError) and is_transient_conflict(exc):
                    raise
                raise DeadlineFailed(group[0].id, name, group[0].key) from exc

    async def _run_deadline(
        self,
        session: AsyncSession,
        row: repos.DueDeadline,
        outgoing: Outgoing,
    ) -> int:
        """Run one taken deadline; its actions are added to `outgoing` (stored by the caller)."""
        now = self.clock.now()
        try:
            rule = self.registry.get(row.rule)
        except KeyError:
            log.warning("dropping deadline %s of unknown rule %s", row.key, row.rule)
            return 0
        if not self.config.for_community(row.community).is_enabled(rule.name):
            return 0
        item = DueItem(community=row.community, key=row.key, due_at=row.due_at, payload=row.payload)
        ctx = self._context(
            session, rule.name, row.community, now, self.capabilities(row.community)
        )
        try:
            actions = await rule.on_due(item, ctx)
        except Exception as exc:
            if isinstance(exc, OperationalError | DBAPIError) and is_transient_conflict(exc):
                raise  # a conflict with another replica: the whole group is retried
            raise DeadlineFailed(row.id, rule.name, row.key) from exc
        stamp = row.due_at.isoformat()
        for index, action in enumerate(actions):
            key = f"due:{row.community}:{row.rule}:{row.key}:{stamp}:{index}"
            outgoing.append((key, rule.name, action, now))
        return 1

    # scheduled jobs --------------------------------------------------------------------------

    async def run_job(
        self,
        *,
        community: str,
        rule_name: str,
        spec: JobSpec,
        fire_time: datetime,
        send: bool = True,
    ) -> bool:
        """Run one fire of a job unless another replica claimed it; True when this one ran it."""
        now = self.clock.now()
        job_key = job_claim_id(community, rule_name, spec.job_id)
        rule = self.registry.get(rule_name)
        async with self.database.session() as session:
            claimed = await repos.claim_job_fire(
                session, job_id=job_key, fire_time=fire_time, replica=self.replica, now=now
            )
            if not claimed:
                return False
            run = JobRun(
                community=community, job_id=spec.job_id, fire_time=fire_time, payload=spec.payload
            )
            ctx = self._context(session, rule.name, community, now, self.capabilities(community))
            actions = await rule.on_job(run, ctx)
            for index, action in enumerate(actions):
                key = f"job:{job_key}:{fire_time.isoformat()}:{index}"
                await enqueue(session, key=key, rule=rule_name, action=action, now=now)
        if send:
            await self.outbox.drain()
        return True


def job_claim_id(community: str, rule: str, job_id: str) -> str:
    """The claim-table id of a job in one community."""
    return f"{community}|{rule}|{job_id}"
