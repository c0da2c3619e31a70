"""The engine: event -> enabled rules of the community -> actions -> outbox -> adapter."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import Action, ActionResult
from bot.adapter import Adapter, Capabilities, split_community
from bot.circle_config import CircleConfig, CommunityConfig
from bot.clock import Clock
from bot.commands import CommandRouter, as_command
from bot.context import DueItem, JobRun, RuleContext
from bot.events import ButtonPressed, CommandInvoked, Event
from bot.metrics import Metrics
from bot.outbox import OutboxSender, enqueue, enqueue_many
from bot.rule import JobSpec, Rule, RuleRegistry
from bot.storage import repos
from bot.storage.db import Database, DatabaseUnavailable, explain, is_transient_conflict
from bot.storage.models import OutboxEntry

log = logging.getLogger(__name__)

MAX_CONFLICT_RETRIES = 5
CUT_CHUNK = 64  # inbox keys recorded at a time when a batch may be cut


DEADLINE_GROUP = 25
"""Claimed deadlines run this many to a transaction."""
Outgoing = list[tuple[str, str | None, Action, datetime]]
"""Actions of due deadlines to store: (outbox key, rule, action, time)."""


class DeadlineFailed(Exception):
    """A rule raised on a due deadline (args: rule, key); its group runs again without it."""

    def __init__(self, deadline_id: int, rule: str, key: str) -> None:
        super().__init__(rule, key)
        self.deadline_id = deadline_id


class RuleFailed(Exception):
    """A rule raised while handling an event; the event is retried without it."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


class Engine:
    """Runs rules on events, deadlines and scheduled jobs, inside one transaction each.

    With `background_drain` (platform mode), handling an event only kicks a background outbox
    drainer, so an event never waits behind a send backlog; otherwise (console, replay, tests)
    the outbox is drained before `handle` returns, which keeps runs deterministic.
    """

    def __init__(
        self,
        *,
        database: Database,
        config: CircleConfig,
        clock: Clock,
        adapters: Mapping[str, Adapter] | None = None,
        replica: str = "local",
        deadline_lease: timedelta = timedelta(seconds=60),
        outbox_lease: timedelta = timedelta(seconds=60),
        metrics: Metrics | None = None,
        background_drain: bool = False,
    ) -> None:
        self.database = database
        self.background_drain = background_drain
        self.config = config
        self.registry: RuleRegistry = config.registry
        self.clock = clock
        self.adapters: dict[str, Adapter] = dict(adapters or {})
        self.replica = replica
        self.deadline_lease = deadline_lease
        self.metrics = metrics or Metrics()
        self.router = CommandRouter(self.registry)
        self.outbox = OutboxSender(
            database=database,
            clock=clock,
            config=config,
            adapters=self.adapters,
            replica=replica,
            on_sent=self._after_sent,
            lease=outbox_lease,
            metrics=self.metrics,
        )
        self._known_communities: set[str] = set()
        self._rule_timers: dict[str, Any] = {}
        self._routes: dict[tuple[int, type], tuple[CommunityConfig, list[Rule]]] = {}

    def attach(self, adapter: Adapter) -> None:
        """Serve one more platform."""
        self.adapters[adapter.platform] = adapter

    def capabilities(self, community: str) -> Capabilities:
        adapter = self.adapters.get(split_community(community)[0])
        return adapter.capabilities if adapter else Capabilities()

    # events ---------------------------------------------------------------------------------

    async def handle(self, event: Event) -> bool:
        """Handle one event once (inbox), then send what it caused; False for a duplicate."""
        handled = await self.handle_batch([event])
        return handled == 1

    async def handle_batch(
        self,
        events: Sequence[Event],
        *,
        send: bool = True,
        advance: Callable[[datetime], object] | None = None,
    ) -> int:
        """Handle events in one transaction (fast path for replay); returns how many were new.

        `advance` (simulated clocks) is called with each event's time before it is handled.
        """
        return (await self.handle_prefix(events, send=send, advance=advance))[1]

    async def handle_prefix(
        self,
        events: Sequence[Event],
        *,
        send: bool = True,
        advance: Callable[[datetime], object] | None = None,
        cut: Callable[[Event, Event], bool] | None = None,
    ) -> tuple[int, int]:
        """Like `handle_batch`, but stops where `cut(previous, event)` is true (replay).

        `cut` is asked before each event but the first, inside the transaction (so it sees what
        the events before did, e.g. a deadline set); the events from there on are left
        unhandled and unrecorded. Returns (events consumed, of them new).
        """
        skipped: set[str] = set()
        conflicts = 0
        started = time.perf_counter()
        while True:
            try:
                consumed, count = await self._handle_in_transaction(events, skipped, advance, cut)
                break
            except RuleFailed as failure:
                log.exception("rule %s failed; the event is handled without it", failure.rule)
                skipped.add(failure.rule)
            except (OperationalError, DBAPIError) as exc:
                if is_transient_conflict(exc) and conflicts < MAX_CONFLICT_RETRIES:
                    conflicts += 1  # a deadlock with another replica: the whole batch rolled back
                    log.info("retrying events after a database conflict: %s", exc.orig)
                    continue
                raise DatabaseUnavailable(explain(exc, self.database.url)) from exc
        self.metrics.handling_seconds.observe(time.perf_counter() - started)
        self.metrics.events.labels(outcome="handled").inc(count)
        self.metrics.events.labels(outcome="duplicate").inc(consumed - count)
        if send:
            if self.background_drain:
                self.outbox.kick()
            else:
                await self.outbox.drain()
        return consumed, count

    async def _handle_in_transaction(
        self,
        events: Sequence[Event],
        skipped: set[str],
        advance: Callable[[datetime], object] | None,
        cut: Callable[[Event, Event], bool] | None = None,
    ) -> tuple[int, int]:
        new = 0
        # with `cut`, inbox keys are recorded a chunk at a time: a cut forgets at most one chunk
        chunk = len(events) if cut is None else CUT_CHUNK
        fresh: set[str] = set()
        consumed = len(events)
        async with self.database.session() as session:
            for index, event in enumerate(events):
                if index and cut is not None and cut(events[index - 1], event):
                    if fresh:  # recorded but not handled: the next batch handles them
                        await repos.forget_seen(session, fresh)
                    consumed = index
                    break
                if index % chunk == 0:
                    keys = [e.dedup_key for e in events[index : index + chunk]]
                    fresh |= await repos.first_time_seen_many(session, keys, self.clock.now())
                if event.dedup_key not in fresh:
                    continue
                fresh.discard(event.dedup_key)  # a key twice in one batch: handled once
                if advance is not None:
                    advance(event.at)
                now = self.clock.now()
                new += 1
                await self._remember(session, event.community, now)
                actions = await self._run_rules(session, event, now, skipped)
                for number, (rule, action) in enumerate(actions):
                    key = f"ev:{event.dedup_key}:{rule}:{number}"
                    await enqueue(session, key=key, rule=rule, action=action, now=now)
                await repos.Members(session, community=event.community).record(event)
        return consumed, new

    async def _run_rules(
        self, session: AsyncSession, event: Event, now: datetime, skipped: set[str]
    ) -> list[tuple[str, Action]]:
        config = self.config.for_community(event.community)
        caps = self.capabilities(event.community)
        if isinstance(event, CommandInvoked | ButtonPressed):
            command = as_command(event) if isinstance(event, ButtonPressed) else event
            made: dict[str, RuleContext] = {}

            def context_for(rule: Rule) -> RuleContext:
                made[rule.name] = self._context(session, rule, event.community, now, caps)
                return made[rule.name]

            actions = await self.router.run(command, config=config, context_for=context_for)
            owner = next(iter(made), "commands")
            return [(owner, a) for a in actions]
        out: list[tuple[str, Action]] = []
        for rule in self._rules_for(config, event):
            if rule.name in skipped:
                continue
            ctx = self._context(session, rule, event.community, now, caps)
            started = time.perf_counter()
            try:
                produced = await rule.on_event(event, ctx)
            except Exception as exc:
                raise RuleFailed(rule.name) from exc
            finally:
                self._rule_timer(rule.name).observe(time.perf_counter() - started)
            out.extend((rule.name, a) for a in produced)
            if ctx.consumed:
                break
        return out

    def _rules_for(self, config: CommunityConfig, event: Event) -> list[Rule]:
        """The community's enabled rules that handle this kind of event, in order (cached)."""
        key = (id(config), type(event))
        found = self._routes.get(key)
        if found is None or found[0] is not config:
            rules = [
                rule
                for rule in self.registry.ordered()
                if isinstance(event, rule.handles) and config.is_enabled(rule.name)
            ]
            found = self._routes[key] = (config, rules)
        return found[1]

    def _rule_timer(self, rule: str) -> Any:
        """The rule's latency histogram (looked up once: `labels()` costs more than observing)."""
        timer = self._rule_timers.get(rule)
        if timer is None:
            timer = self._rule_timers[rule] = self.metrics.rule_seconds.labels(rule=rule)
        return timer

    def _context(
        self, session: AsyncSession, rule: Rule, community: str, now: datetime, caps: Capabilities
    ) -> RuleContext:
        return RuleContext(
            rule=rule.name,
            community=community,
            config=self.config.for_community(community),
            session=session,
            now=now,
            capabilities=caps,
        )

    async def _remember(self, session: AsyncSession, community: str, now: datetime) -> None:
        if community not in self._known_communities:
            await repos.remember_community(session, community, now)
            self._known_communities.add(community)

    async def register_community(self, community: str, name: str | None = None) -> None:
        """Adapters call this on connect, so jobs run for communities with no events yet."""
        async with self.database.session() as session:
            await repos.remember_community(session, community, self.clock.now(), name)
        self._known_communities.add(community)

    # deadlines ------------------------------------------------------------------------------

    async def sweep(self, *, limit: int = 500, send: bool = True) -> int:
        """Run every due deadline through its rule's `on_due`; returns how many ran.

        Deadlines are first claimed (committed, with a lease, so a crashed replica's claims are
        retaken when the lease runs out), then run DEADLINE_GROUP to a transaction.
        """
        ran = 0
        while True:
            now = self.clock.now()
            async with self.database.session() as session:
                ids = await repos.claim_due_deadlines(
                    session, now=now, replica=self.replica, lease=self.deadline_lease, limit=limit
                )
            for first in range(0, len(ids), DEADLINE_GROUP):
                ran += await self._run_deadlines(ids[first : first + DEADLINE_GROUP])
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
                    rows = await repos.take_claimed_deadlines(session, todo, replica=self.replica)
                    outgoing: Outgoing = []
                    ran = 0
                    for row in rows:
                        ran += await self._run_deadline(session, row, outgoing)
                    await enqueue_many(session, outgoing)  # one statement for the group
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
        ctx = self._context(session, rule, row.community, now, self.capabilities(row.community))
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
            ctx = self._context(session, rule, community, now, self.capabilities(community))
            actions = await rule.on_job(run, ctx)
            for index, action in enumerate(actions):
                key = f"job:{job_key}:{fire_time.isoformat()}:{index}"
                await enqueue(session, key=key, rule=rule_name, action=action, now=now)
        if send:
            await self.outbox.drain()
        return True

    async def communities(self) -> list[str]:
        async with self.database.session() as session:
            return await repos.known_communities(session)

    # results ---------------------------------------------------------------------------------

    async def _after_sent(self, row: OutboxEntry, action: Action, result: ActionResult) -> None:
        if not row.rule or row.rule not in self.registry.names():
            return
        rule = self.registry.get(row.rule)
        async with self.database.session() as session:
            ctx = self._context(
                session,
                rule,
                action.community,
                self.clock.now(),
                self.capabilities(action.community),
            )
            await rule.on_sent(action, result, ctx)


def job_claim_id(community: str, rule: str, job_id: str) -> str:
    """The claim-table id of a job in one community."""
    return f"{community}|{rule}|{job_id}"
