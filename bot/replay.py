"""`circlebot replay`: run the whole core on a community's history, on a simulated clock."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from bot.actions import Action, ActionResult, Post, Reply
from bot.adapter import Capabilities
from bot.circle_config import CircleConfig
from bot.clock import SimulatedClock, ensure_utc
from bot.durations import parse_duration
from bot.engine import Engine
from bot.events import (
    Event,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)
from bot.replay_report import write_report
from bot.settings import ProcessSettings
from bot.simulation import Simulation
from bot.storage import repos
from bot.storage.db import Database

PLATFORM = "replay"
BATCH_LIMIT = 500
DRAIN_EVERY = 100


class ReplayAdapter:
    """Executes nothing: every action is already in the outbox, which the report reads."""

    platform = PLATFORM

    def __init__(self) -> None:
        self.capabilities = Capabilities(rich_cards=True)
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


class BadLine(ValueError):
    """A line of the events file that cannot be replayed."""


def _text(raw: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise BadLine(f"missing {key!r}")
        return None
    if not isinstance(value, str | int):
        raise BadLine(f"{key!r} must be a string")
    return str(value)


def parse_event(line: str, number: int) -> Event:
    """One JSONL line (replay schema v1) as a core event; BadLine says what is wrong."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLine(f"invalid JSON ({exc.msg})") from None
    if not isinstance(raw, dict):
        raise BadLine("expected a JSON object")
    kind = _text(raw, "type")
    at_text = _text(raw, "at")
    try:
        at = ensure_utc(datetime.fromisoformat(str(at_text)))
    except ValueError:
        raise BadLine(f"'at' is not an ISO-8601 time: {at_text!r}") from None
    community = f"{PLATFORM}:{_text(raw, 'community')}"
    channel = _text(raw, "channel", required=kind not in ("member_joined", "member_left"))
    common: dict[str, Any] = {
        "platform": PLATFORM,
        "community": community,
        "at": at,
        "user": _text(raw, "user"),
        "user_name": _text(raw, "user_name", required=False),
        "is_bot": bool(raw.get("is_bot", False)),
    }
    try:
        if kind == "message":
            message_id = _text(raw, "id")
            mentions = raw.get("mentions") or []
            if not isinstance(mentions, list):
                raise BadLine("'mentions' must be a list of user ids")
            return MessagePosted(
                **common,
                event_id=f"message:{message_id}",
                channel=channel,
                channel_name=channel,
                message_id=message_id,
                text=_text(raw, "text", required=False) or "",
                thread=_text(raw, "thread", required=False),
                reply_to=_text(raw, "reply_to", required=False),
                mentions=tuple(str(m) for m in mentions),
            )
        if kind in ("reaction_added", "reaction_removed"):
            model = ReactionAdded if kind == "reaction_added" else ReactionRemoved
            return model(
                **common,
                event_id=f"line:{number}",
                channel=channel,
                message_id=_text(raw, "message"),
                emoji=str(_text(raw, "emoji")).strip(":"),
            )
        if kind == "message_deleted":
            return MessageDeleted(
                **common, event_id=f"line:{number}", channel=channel, message_id=_text(raw, "id")
            )
        if kind in ("member_joined", "member_left"):
            member = MemberJoined if kind == "member_joined" else MemberLeft
            return member(**common, event_id=f"line:{number}", channel=channel)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadLine(f"{where}: {first['msg']}") from None
    raise BadLine(f"unknown event type {kind!r}")


@dataclass
class Progress:
    """A hand-written progress bar on stderr, by bytes read."""

    total: int
    out: IO[str] | None
    started: float = 0.0
    shown: float = 0.0

    def update(self, done: int, events: int, *, final: bool = False) -> None:
        if self.out is None:
            return
        now = time.monotonic()
        if not self.started:
            self.started = now
        if not final and now - self.shown < 0.25:
            return
        self.shown = now
        share = min(done / self.total, 1.0) if self.total else 1.0
        filled = int(share * 30)
        rate = events / max(now - self.started, 1e-6)
        bar = "#" * filled + "." * (30 - filled)
        self.out.write(f"\r[{bar}] {share:6.1%} {events:,} events {rate:,.0f}/s")
        if final:
            self.out.write("\n")
        self.out.flush()


def read_events(path: Path, errors: IO[str]) -> Iterator[tuple[int, int, Event]]:
    """Stream (bytes read, line number, event); bad lines are reported and skipped."""
    done = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            done += len(raw)
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            try:
                yield done, number, parse_event(line, number)
            except BadLine as exc:
                errors.write(f"\n{path}:{number}: skipped: {exc}\n")


class Replayer:
    """Feeds events to the engine in time order, letting deadlines and jobs fire in between."""

    def __init__(self, *, database: Database, config: CircleConfig, start: datetime) -> None:
        self.database = database
        self.clock = SimulatedClock(start)
        self.adapter = ReplayAdapter()
        self.engine = Engine(
            database=database, config=config, clock=self.clock, adapters={PLATFORM: self.adapter}
        )
        self.simulation = Simulation(self.engine, self.clock)
        self.communities: set[str] = set()
        self.events = 0
        self.last_at: datetime | None = None
        self._batches = 0

    async def run(
        self, events: Iterator[tuple[int, int, Event]], progress: Progress | None = None
    ) -> None:
        batch: list[Event] = []
        batch_at: datetime | None = None
        done = 0
        for done, _number, event in events:
            if batch and (event.at != batch_at or len(batch) >= BATCH_LIMIT):
                await self._flush(batch)
                batch = []
            if not batch:
                batch_at = event.at
                await self._enter(event)
            batch.append(event)
            self.events += 1
            if progress is not None:
                progress.update(done, self.events)
        if batch:
            await self._flush(batch)
        await self.engine.outbox.drain()
        if progress is not None:
            progress.update(progress.total, self.events, final=True)

    async def _enter(self, event: Event) -> None:
        if event.community not in self.communities:
            self.communities.add(event.community)
            await self.engine.register_community(event.community, event.community.split(":")[1])
            if self.simulation.jobs is not None:
                await self.simulation.jobs.refresh()
        await self.advance_to(event.at)

    async def _flush(self, batch: list[Event]) -> None:
        await self.engine.handle_batch(batch, send=False)
        self.last_at = max(self.last_at or batch[-1].at, batch[-1].at)
        self._batches += 1
        if self._batches % DRAIN_EVERY == 0:
            await self.engine.outbox.drain()

    async def advance_to(self, target: datetime) -> None:
        """Move the clock to `target`, running what falls due on the way (cheap when nothing)."""
        if target <= self.clock.now():
            return
        async with self.database.session() as session:
            deadline = await repos.next_deadline_at(session)
        jobs = self.simulation.jobs
        fire = jobs.next_fire(target) if jobs is not None else None
        if (deadline is not None and deadline <= target) or fire is not None:
            await self.simulation.advance_to(target)
        else:
            self.clock.set(target)


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
) -> Replayer:
    """Replay `path` into the database at `database_url`; the caller writes the report."""
    database = Database(database_url)
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
    with tempfile.TemporaryDirectory(prefix="circlebot-replay-") as scratch:
        url = args.database or f"sqlite:///{Path(scratch) / 'replay.db'}"
        replayer = await replay(
            path, config=config, database_url=url, until=args.until, progress=progress
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
