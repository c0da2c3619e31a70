"""The engine: event -> enabled rules of the community -> actions -> outbox -> adapter."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import Action, ActionResult
from bot.adapter import Adapter, Capabilities, split_community
from bot.circle_config import CircleConfig, CommunityConfig
from bot.clock import Clock
from bot.commands import CommandRouter, as_command
from bot.context import RuleContext
from bot.events import ButtonPressed, CommandInvoked, Event
from bot.metrics import Metrics
from bot.outbox import OutboxSender, enqueue
from bot.rule import Rule, RuleRegistry
from bot.runtime_config import RuntimeOverrides
from bot.storage import repos
from bot.storage.db import Database, DatabaseUnavailable, explain, is_transient_conflict
from bot.storage.members import Members
from bot.storage.models import OutboxEntry
from bot.timed_work import DEADLINE_GROUP, TimedWork, job_claim_id

log = logging.getLogger(__name__)

__all__ = ["DEADLINE_GROUP", "Engine", "RuleFailed", "job_claim_id"]

MAX_CONFLICT_RETRIES = 5
CUT_CHUNK = 64  # inbox keys recorded at a time when a batch may be cut
Between = Callable[[AsyncSession, Event, Event], Awaitable[None]]
"""Work done in a batch's transaction between two events (replay: deadlines due by then)."""


class RuleFailed(Exception):
    """A rule raised while handling an event; the event is retried without it."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


class Engine(TimedWork):
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
        self.overrides = RuntimeOverrides(config, database)
        self.router = CommandRouter(self.registry, core=[self.overrides.command])
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
        between: Between | None = None,
    ) -> tuple[int, int]:
        """Like `handle_batch`, but stops where `cut(previous, event)` is true (replay).

        `cut` is asked before each event but the first, inside the transaction (so it sees what
        the events before did, e.g. a deadline set); the events from there on are left
        unhandled and unrecorded. Where it does not cut, `between(session, previous, event)`
        may do work in the transaction first (replay runs the deadlines due by then). Returns
        (events consumed, of them new).
        """
        skipped: set[str] = set()
        conflicts = 0
        if not self.overrides.loaded:  # once per process; the ticker refreshes them
            await self.overrides.refresh()
        started = time.perf_counter()
        while True:
            try:
                consumed, count = await self._handle_in_transaction(
                    events, skipped, advance, cut, between
                )
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
        between: Between | None = None,
    ) -> tuple[int, int]:
        new = 0
        fresh: set[str] = set()
        consumed = len(events)
        async with self.database.session() as session:
            # with `cut`, inbox keys are recorded a chunk at a time: a cut forgets at most one
            # chunk (each is one statement)
            chunk = len(events) if cut is None else CUT_CHUNK
            for index, event in enumerate(events):
                if index and cut is not None and cut(events[index - 1], event):
                    if fresh:  # recorded but not handled: the next batch handles them
                        await repos.forget_seen(session, fresh)
                    consumed = index
                    break
                if index and between is not None:
                    await between(session, events[index - 1], event)
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
                await Members(session, community=event.community).record(event)
        return consumed, new

    async def _run_rules(
        self, session: AsyncSession, event: Event, now: datetime, skipped: set[str]
    ) -> list[tuple[str, Action]]:
        config = self.config.for_community(event.community)
        caps = self.capabilities(event.community)
        if isinstance(event, CommandInvoked | ButtonPressed):
            command = as_command(event) if isinstance(event, ButtonPressed) else event
            made: dict[str, RuleContext] = {}

            def context_for(owner: str) -> RuleContext:
                made[owner] = self._context(session, owner, event.community, now, caps)
                return made[owner]

            actions = await self.router.run(command, config=config, context_for=context_for)
            owner = next(iter(made), "commands")
            return [(owner, a) for a in actions]
        out: list[tuple[str, Action]] = []
        for rule in self._rules_for(config, event):
            if rule.name in skipped:
                continue
            ctx = self._context(session, rule.name, event.community, now, caps)
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
        self, session: AsyncSession, rule: str, community: str, now: datetime, caps: Capabilities
    ) -> RuleContext:
        return RuleContext(
            rule=rule,
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
        if not self.overrides.loaded:
            await self.overrides.refresh()

    async def refresh_config(self) -> bool:
        """Follow runtime config changes made by any replica (one cheap version check)."""
        return await self.overrides.refresh()

    async def communities(self) -> list[str]:
        async with self.database.session() as session:
            return await repos.known_communities(session)

    # results ---------------------------------------------------------------------------------

    async def _after_sent(
        self, row: OutboxEntry, action: Action, result: ActionResult, session: AsyncSession
    ) -> None:
        """The tagging rule's `on_sent`, in the outbox's transaction that marks the row sent."""
        if not row.rule or row.rule not in self.registry.names():
            return
        rule = self.registry.get(row.rule)
        community = action.community
        now = self.clock.now()
        ctx = self._context(session, rule.name, community, now, self.capabilities(community))
        await rule.on_sent(action, result, ctx)
