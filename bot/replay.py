"""`circlebot replay`: run the whole core on a community's history, on a simulated clock."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import Action, ActionResult, Post, Reply
from bot.adapter import Capabilities
from bot.circle_config import CircleConfig
from bot.clock import SimulatedClock, ensure_utc
from bot.collector import tune_collector
from bot.durations import parse_duration
from bot.engine import Engine
from bot.events import Event
from bot.replay_events import PLATFORM, BadLine, Progress, parse_event, read_events
from bot.replay_report import write_report
from bot.settings import ProcessSettings
from bot.simulation import Simulation
from bot.storage import repos
from bot.storage.db import Database
from bot.storage.hooks import after_commit
from bot.storage.repos import Deadlines
from bot.timed_work import DeadlineFailed

log = logging.getLogger(__name__)

__all__ = ["BadLine", "Replayer", "command", "parse_event", "read_events", "replay"]

BATCH_LIMIT = 500  # events read ahead and offered to the engine at once
DRAIN_EVERY = 2_000  # events between outbox drains (and before every job)
NEVER = datetime.max.replace(tzinfo=UTC)


class ReplayAdapter:
    """Executes nothing: every action is already in the outbox, which the report reads."""

    platform = PLATFORM

    def __init__(self) -> None:
        self.capabilities = Capabilities(rich_cards=True, effects=False)
        self._ids = itertools.count(1)
        self.executed = 0

    async def start(self, sink: Any) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def execute(self, action: Action) -> ActionResult:
        self.executed += 1
        if isinstance(action, Post | Reply):
            return ActionResult(message_id=f"replay-bot-{next(self._ids)}")
        return ActionResult()


class ReplayClock(SimulatedClock):
    """The replay's clock: follows each event of a batch (from the batch's start on a retry)."""

    def follow(self, moment: datetime, floor: datetime) -> None:
        """Be at `moment`, never before `floor` (the clock when the batch began)."""
        self._now = max(ensure_utc(moment), floor)


class Replayer:
    """Feeds events to the engine in time order, letting deadlines and jobs fire in between.

    A batch spans timestamps. Deadlines that fall due between two of its events run inside
    its transaction, before the later event, each at its own time; the batch is cut before
    an event that comes at or after a job fire (jobs run on their own, after the outbox is
    sent), so everything runs exactly as if the events came one at a time. The earliest
    deadline is tracked in memory: lowered by every `Deadlines.set` (an observer in each
    session's info) and read again from the database after time moved past it; a cancelled
    deadline only costs one query. Should a deadline's rule fail inside a batch, the batch is
    handled again cutting before each due deadline, which runs them in the sweep's own
    transactions (the failing one is left for its lease, as the runtime would).
    """

    def __init__(self, *, database: Database, config: CircleConfig, start: datetime) -> None:
        self.database = database
        self.clock = ReplayClock(start)
        self.adapter = ReplayAdapter()
        self.engine = Engine(
            database=database, config=config, clock=self.clock, adapters={PLATFORM: self.adapter}
        )
        self.simulation = Simulation(self.engine, self.clock)
        self.communities: set[str] = set()
        self.events = 0
        self.batches = 0
        self.last_at: datetime | None = None
        self._deadline: datetime | None = None  # no pending deadline is earlier than this
        self._fire: datetime | None = None  # the next job fire
        self._floor = start
        self._undrained = 0
        self._inside: tuple[AsyncSession, datetime | None] | None = None
        """The earliest deadline as read in a batch's transaction (valid in that session)."""
        self._cutting = False  # cut before due deadlines (after one failed inside a batch)
        database.sessions.configure(info={Deadlines.OBSERVER: self._deadline_set})

    def _deadline_set(self, due_at: datetime) -> None:
        due_at = ensure_utc(due_at)
        if self._deadline is None or due_at < self._deadline:
            self._deadline = due_at
        if self._inside is not None:
            session, inside = self._inside
            if inside is None or due_at < inside:
                self._inside = (session, due_at)

    def _cut(self, previous: Event, event: Event) -> bool:
        """End the batch before `event` when a job must fire first (or a community is met)."""
        if event.community not in self.communities or event.at < previous.at:
            return True  # a new community is registered first; a step back restarts the batch
        if event.at <= max(previous.at, self._floor):
            return False
        if self._fire is not None and self._fire <= event.at:
            return True
        return self._cutting and self._deadline is not None and self._deadline <= event.at

    async def _between(self, session: AsyncSession, previous: Event, event: Event) -> None:
        """Run the deadlines due by `event` in the batch's transaction, before it."""
        if self._cutting or event.at <= max(previous.at, self._floor):
            return
        inside = self._inside if self._inside is not None and self._inside[0] is session else None
        earliest = inside[1] if inside is not None else self._deadline
        if earliest is None or earliest > event.at:
            return
        self._inside = (session, earliest)
        left = await self.engine.run_due_inside(session, event.at, self._follow)
        self._inside = (session, left)
        after_commit(session, "replay.earliest_deadline", self._committed)

    def _committed(self) -> None:
        """The batch committed: its last reading of the earliest deadline holds from now on."""
        if self._inside is not None:
            self._deadline = self._inside[1]
            self._inside = None

    def _follow(self, moment: datetime) -> None:
        self.clock.follow(moment, self._floor)

    async def run(
        self, events: Iterator[tuple[int, int, Event]], progress: Progress | None = None
    ) -> None:
        pending: list[tuple[int, Event]] = []
        exhausted = False
        await self._resync()
        while True:
            if not exhausted and len(pending) < BATCH_LIMIT:
                for done, _number, event in itertools.islice(events, BATCH_LIMIT - len(pending)):
                    pending.append((done, event))
                exhausted = len(pending) < BATCH_LIMIT
            if not pending:
                break
            await self._enter(pending[0][1])
            self._floor = self.clock.now()
            batch = [event for _, event in pending]
            consumed = await self._handle(batch)
            latest = max(event.at for event in batch[:consumed])
            self.last_at = latest if self.last_at is None else max(self.last_at, latest)
            self.events += consumed
            self.batches += 1
            if progress is not None:
                progress.update(pending[consumed - 1][0], self.events)
            del pending[:consumed]
            await self.engine.prune_inbox()  # as the runtime does, hourly in replayed time
            self._undrained += consumed
            if self._undrained >= DRAIN_EVERY:
                self._undrained = 0
                await self.engine.outbox.drain()
        await self.engine.outbox.drain()
        if progress is not None:
            progress.update(progress.total, self.events, final=True)

    async def _handle(self, batch: list[Event]) -> int:
        """Handle a prefix of `batch` in one transaction; returns how many events it took."""
        self._inside = None
        try:
            consumed, _ = await self.engine.handle_prefix(
                batch, send=False, advance=self._follow, cut=self._cut, between=self._between
            )
            return consumed
        except DeadlineFailed:
            log.info("a deadline failed inside a replay batch: handling it again, cutting")
            self._inside = None
            self.clock.follow(self._floor, self._floor)
            self._cutting = True
            try:
                consumed, _ = await self.engine.handle_prefix(
                    batch, send=False, advance=self._follow, cut=self._cut
                )
            finally:
                self._cutting = False
            return consumed

    async def _enter(self, event: Event) -> None:
        if event.community not in self.communities:
            self.communities.add(event.community)
            await self.engine.register_community(event.community, event.community.split(":")[1])
            if self.simulation.jobs is not None:
                await self.simulation.jobs.refresh()
                self._plan_fire()
        await self.advance_to(event.at)

    async def advance_to(self, target: datetime) -> None:
        """Move the clock to `target`, running what falls due on the way (cheap when nothing).

        Jobs were refreshed when the current communities were met (`_enter`). Deadline runs do
        not send: what they decide waits for the next drain (sends keep the outbox's order).
        Before a job runs everything is sent, as before: the privacy job purges sent actions.
        """
        if target <= self.clock.now():
            return
        job_due = self._fire is not None and self._fire <= target
        deadline_due = False
        if not job_due and self._deadline is not None and self._deadline <= target:
            async with self.database.session() as session:  # the estimate may be a cancelled one
                self._deadline = await repos.next_deadline_at(session)
            deadline_due = self._deadline is not None and self._deadline <= target
        if job_due:  # sends first (a retry moment at the current time), as every step did
            await self.simulation.advance_to(target, refresh_jobs=False)
        elif deadline_due:
            self.simulation.know_deadline(self._deadline)
            await self.simulation.advance_to(target, send=False, refresh_jobs=False)
        else:
            self.clock.set(target)
            return
        await self._resync()

    async def _resync(self) -> None:
        """Read the earliest deadline and the next job fire again (after time ran past them)."""
        known = self.simulation.known_deadline()  # the simulation's last step read it
        if known:
            self._deadline = known[0]
        else:
            async with self.database.session() as session:
                self._deadline = await repos.next_deadline_at(session)
        self._plan_fire()

    def _plan_fire(self) -> None:
        jobs = self.simulation.jobs
        self._fire = jobs.next_fire(NEVER) if jobs is not None else None


def until_time(raw: str | None, last: datetime | None) -> datetime | None:
    """`--until`: an ISO time, or a duration after the last event."""
    if raw is None:
        return last
    try:
        return ensure_utc(datetime.fromisoformat(raw))
    except ValueError:
        pass
    delta = parse_duration(raw)
    return last + delta if last is not None else None


async def replay(
    path: Path,
    *,
    config: CircleConfig,
    database_url: str,
    until: str | None = None,
    errors: IO[str] | None = None,
    progress: IO[str] | None = None,
    scratch: bool = False,
) -> Replayer:
    """Replay `path` into the database at `database_url`; the caller writes the report.

    `scratch`: the database is the replay's own temporary file (nothing to keep after a crash).
    """
    database = Database(database_url, durable=not scratch)
    await database.upgrade()
    events = read_events(path, errors or sys.stderr)
    first = next(events, None)
    start = first[2].at if first is not None else datetime.now(UTC)
    replayer = Replayer(database=database, config=config, start=start)
    bar = Progress(total=await asyncio.to_thread(os.path.getsize, path), out=progress)
    try:
        if first is not None:
            await replayer.run(itertools.chain([first], events), bar)
        end = until_time(until, replayer.last_at)
        if end is not None:
            await replayer.simulation.advance_to(max(end, replayer.clock.now()))
            await replayer.engine.outbox.drain()
    except BaseException:
        await database.dispose()
        raise
    return replayer


async def command(args: argparse.Namespace, settings: ProcessSettings) -> int:
    """Entry point of `circlebot replay`: replay, then write the JSON report."""
    from bot.runtime import load_config

    path = Path(args.events)
    if not await asyncio.to_thread(os.path.isfile, path):
        print(f"error: {path}: no such events file", file=sys.stderr)
        return 1
    config = load_config(settings, args.config)
    progress = None if args.quiet else sys.stderr
    tune_collector()  # this process is the replay's: start-up is done
    with tempfile.TemporaryDirectory(prefix="circlebot-replay-") as scratch:
        url = args.database or f"sqlite:///{Path(scratch) / 'replay.db'}"
        replayer = await replay(
            path,
            config=config,
            database_url=url,
            until=args.until,
            progress=progress,
            scratch=args.database is None,
        )
        try:
            questions, actions = await write_report(
                replayer.database, Path(args.report), prefix=f"{PLATFORM}:"
            )
        finally:
            await replayer.database.dispose()
    if not args.quiet:
        print(
            f"replayed {replayer.events:,} events: {questions:,} questions, "
            f"{actions:,} actions; report: {args.report}",
            file=sys.stderr,
        )
    return 0
