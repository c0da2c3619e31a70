"""Growth: the deadline sweep and `unanswered` as stored messages and open questions grow.

Usage: ``.venv/bin/python benchmarks/growth.py [--database URL] [--quick] [--no-analyze]``

For each size (10k/1k, 100k/10k, 1M/100k stored messages/open questions) a database is seeded
in bulk (temporary SQLite files, or PostgreSQL databases `<name>_1`, `<name>_2`, ... made next
to the private database `--database` names): settled questions (a quarter of them with a past
helpers nudge) and channel lines stand for the stored messages; each open question has its
ladder deadline, due in the future. On PostgreSQL the seeded tables are ANALYZEd, as autovacuum
does in production (`--no-analyze`: measured without statistics, as right after a bulk load
where autovacuum is off). All sizes stay open and their runs are interleaved, so the machine's
noise hits every size alike. Figures are medians:
- ``sweep (idle)``: `Engine.sweep()` with nothing due, what every replica runs each second: the
  figure compared with the issue's 50 ms target (see benchmarks/README.md, "Item 3, growth");
- ``sweep, 100 due``: 100 ladder steps come due (half helpers nudges, rate-limited per channel,
  half moderators nudges) and one sweep claims and runs them all through the questions rule;
- ``unanswered``: the moderators' command itself (all open, `#help`, and a quiet channel with
  three open questions among 100k), in one transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import synthetic  # noqa: E402
from core_throughput import reset_postgres  # noqa: E402
from report import emit  # noqa: E402
from sqlalchemy import func, insert, make_url, select, text, update  # noqa: E402

import bot.timed_work as timed_work  # noqa: E402
from bot.adapter import Capabilities  # noqa: E402
from bot.circle_config import CircleConfig  # noqa: E402
from bot.clock import SimulatedClock  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.events import CommandInvoked  # noqa: E402
from bot.rule import default_registry  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from bot.storage.models import Deadline, OutboxEntry  # noqa: E402
from rules.questions.commands import unanswered  # noqa: E402
from rules.questions.models import ChannelLine, Question, QuestionNudge  # noqa: E402

COMMUNITY = "replay:synthetic"
SIZES = ((10_000, 1_000), (100_000, 10_000), (1_000_000, 100_000))
CHUNK = 5_000
DUE = 100
QUIET = "offtopic"
"""A channel with only three open questions: `unanswered #offtopic` must not scan the rest."""
BUSY = synthetic.CHANNELS[:-1]
assert QUIET == synthetic.CHANNELS[-1]
NOW = synthetic.START + timedelta(days=30)


async def seed(database: Database, *, messages: int, open_count: int) -> None:
    """Bulk rows: `messages` stored messages (half settled questions, half lines), open ones."""
    start = synthetic.START
    channels = synthetic.CHANNELS
    settled = messages // 2

    def question(n: int, state: str, channel: str) -> dict[str, Any]:
        return {
            "community": COMMUNITY, "channel": channel, "channel_name": channel,
            "message_id": f"q{state}{n}", "asker": f"U{n % 5000:05d}",
            "asked_at": start + timedelta(seconds=n), "text": "how do I configure the VPN?",
            "state": state, "escalation_pending": False,
        }  # fmt: skip

    async def bulk(table: Any, rows: Callable[[int], dict[str, Any]], count: int) -> None:
        for first in range(0, count, CHUNK):
            batch = [rows(n) for n in range(first, min(first + CHUNK, count))]
            async with database.session() as session:
                await session.execute(insert(table), batch)

    await bulk(Question.__table__, lambda n: question(n, "solved", channels[n % 12]), settled)
    await bulk(
        QuestionNudge.__table__,
        lambda n: {
            "question_id": 4 * n + 1,
            "community": COMMUNITY,
            "channel": channels[4 * n % 12],
            "level": "helpers",
            "at": start + timedelta(seconds=4 * n + 900),
        },
        settled // 4,
    )
    await bulk(
        ChannelLine.__table__,
        lambda n: {
            "community": COMMUNITY,
            "channel": channels[n % len(channels)],
            "message_id": f"l{n}",
            "user": f"U{n % 5000:05d}",
            "at": start + timedelta(seconds=n),
            "text": "thanks",
            "mentions": "",
        },
        messages - settled,
    )
    # open question n is question id settled + n + 1; its deadline is deadline id n + 1
    quiet = {open_count // 4, open_count // 2, 3 * open_count // 4}
    await bulk(
        Question.__table__,
        lambda n: question(n, "open", QUIET if n in quiet else BUSY[n % len(BUSY)]),
        open_count,
    )
    far = start + timedelta(days=3650)
    await bulk(
        Deadline.__table__,
        lambda n: {
            "community": COMMUNITY,
            "rule": "questions",
            "key": f"q:{n + 1 + settled}",
            "due_at": far + timedelta(seconds=n),
            "payload": {"step": "helpers"},
        },
        open_count,
    )


async def analyze(database: Database) -> None:
    """Table statistics, as PostgreSQL's autovacuum (or SQLite's `PRAGMA optimize`) keeps them."""
    async with database.engine.connect() as conn:
        await conn.execute(text("ANALYZE"))
        await conn.commit()


async def make_due(database: Database, round_: int, *, messages: int, now: datetime) -> None:
    """Bring 100 not yet used ladder steps due: even ones the helpers', odd the moderators'."""
    first = round_ * DUE + 1
    async with database.session() as session:
        await session.execute(  # park the last round's rate-limited steps: exactly 100 run
            update(Deadline)
            .where(Deadline.due_at < now + timedelta(hours=1))
            .values(due_at=now + timedelta(days=3000))
        )
        for offset, step, asked in (
            (0, "helpers", timedelta(minutes=20)),
            (1, "moderators", timedelta(hours=3)),
        ):
            ids = list(range(first + offset, first + DUE, 2))
            await session.execute(
                update(Deadline)
                .where(Deadline.id.in_(ids))
                .values(due_at=now - timedelta(seconds=1), payload={"step": step})
            )
            questions = [messages // 2 + i for i in ids]
            await session.execute(
                update(Question).where(Question.id.in_(questions)).values(asked_at=now - asked)
            )


class Site:
    """One size's seeded database and engine, kept open while every size is measured."""

    def __init__(self, url: str, messages: int, open_count: int) -> None:
        self.url, self.messages, self.open_count = url, messages, open_count
        self.database = Database(url)
        self.clock = SimulatedClock(NOW)
        config = CircleConfig.from_text(synthetic.BENCH_CONFIG, default_registry(), source="bench")
        self.engine = Engine(
            database=self.database,
            config=config,
            clock=self.clock,
            adapters={"replay": synthetic.SendingAdapter()},
        )
        self.times: dict[str, list[float]] = {key: [] for key in TIMES}
        self.sent = 0

    async def prepare(self, *, stats: bool) -> None:
        if self.database.is_postgres:
            await reset_postgres(self.url)
        await self.database.upgrade()
        await seed(self.database, messages=self.messages, open_count=self.open_count)
        if stats and self.database.is_postgres:
            await analyze(self.database)

    async def timed(self, key: str, step: Awaitable[Any]) -> Any:
        """Await `step` (a coroutine not started yet), adding its milliseconds to `key`."""
        started = time.perf_counter()
        result = await step
        self.times[key].append((time.perf_counter() - started) * 1000)
        return result

    async def due(self, round_: int) -> None:
        """One sweep that claims and runs 100 due ladder steps."""
        self.clock.advance(timedelta(minutes=3))  # past the helpers' per-channel gap
        await make_due(self.database, round_, messages=self.messages, now=self.clock.now())
        before = await self._outbox_rows()
        ran = await self.timed("sweep, 100 due", self.engine.sweep(send=False))
        assert ran == DUE, f"the sweep ran {ran} deadlines, not {DUE}"
        self.sent = await self._outbox_rows() - before

    async def unanswered(self, args: list[str]) -> None:
        """The moderators' command, in its own transaction."""
        engine, now = self.engine, self.clock.now()
        async with self.database.session() as session:
            ctx = engine._context(
                session, engine.registry.get("questions"), COMMUNITY, now, Capabilities()
            )
            cmd = CommandInvoked(
                platform="replay", event_id="bench", community=COMMUNITY, at=now,
                user="U00000", channel="mods", text="unanswered " + " ".join(args),
            )  # fmt: skip
            (reply,) = await unanswered(cmd, args, ctx)
            assert reply.text[:1].isdigit(), reply.text  # a listing, not "No unanswered"

    async def _outbox_rows(self) -> int:
        async with self.database.session() as session:
            return int(await session.scalar(select(func.count()).select_from(OutboxEntry)) or 0)


async def measure(
    urls: list[str], sizes: Sequence[tuple[int, int]], *, repeat: int, stats: bool
) -> list[dict[str, float]]:
    """Every figure of every size, the sizes' runs interleaved (machine noise hits all alike)."""
    sites = [Site(url, m, o) for url, (m, o) in zip(urls, sizes, strict=True)]
    try:
        for site in sites:
            await site.prepare(stats=stats)
        for _ in range(3 * repeat):  # the millisecond figures get more runs
            for site in sites:
                await site.timed("sweep (idle)", site.engine.sweep(send=False))
                for args, key in (
                    ([], "unanswered"),
                    (["#help"], "unanswered #help"),
                    ([f"#{QUIET}"], f"unanswered #{QUIET}"),
                ):
                    await site.timed(key, site.unanswered(args))
        for round_ in range(min(repeat, sizes[0][1] // DUE)):
            for site in sites:
                await site.due(round_)
        results = []
        for site in sites:
            figures = {key: statistics.median(values) for key, values in site.times.items()}
            figures["per due deadline"] = figures["sweep, 100 due"] / DUE
            figures["nudges sent of 100 due"] = float(site.sent)
            results.append(figures)
        return results
    finally:
        for site in sites:
            await site.database.dispose()


async def compare_groups(url: str, groups: Sequence[int], rounds: int) -> dict[int, float]:
    """Median "100 due" with each number of deadlines to a transaction (100k/10k, interleaved)."""
    site = Site(url, 100_000, 10_000)
    times: dict[int, list[float]] = {group: [] for group in groups}
    try:
        await site.prepare(stats=True)
        for round_ in range(rounds):
            for number, group in enumerate(groups):
                timed_work.DEADLINE_GROUP = timed_work.NETWORK_DEADLINE_GROUP = group
                await site.due(round_ * len(groups) + number)
                times[group].append(site.times["sweep, 100 due"][-1])
    finally:
        await site.database.dispose()
    return {group: statistics.median(values) for group, values in times.items()}


async def private_databases(url: str, count: int) -> list[str]:
    """`count` PostgreSQL databases named after the given one (`<name>_1` ...), created once."""
    base = make_url(url)
    names = [f"{base.database}_{n}" for n in range(1, count + 1)]
    admin = Database(url)
    try:
        async with admin.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            found = set((await conn.execute(text("SELECT datname FROM pg_database"))).scalars())
            for name in names:
                if name not in found:
                    await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return [base.set(database=name).render_as_string(hide_password=False) for name in names]


TIMES = ("sweep (idle)", "sweep, 100 due", "unanswered", "unanswered #help", f"unanswered #{QUIET}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        help="PostgreSQL URL of a private database; one database per size is made next to it "
        "(<name>_1, ...). Default: temporary SQLite files",
    )
    parser.add_argument("--quick", action="store_true", help="10k/1k and 20k/2k only")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--no-analyze", action="store_true", help="measure PostgreSQL without table statistics"
    )
    parser.add_argument(
        "--group-sizes",
        help="instead: compare deadlines run to a transaction, e.g. 1,10,25,100 (100k/10k only)",
    )
    args = parser.parse_args(argv)
    if args.group_sizes:
        return group_table(args.database, [int(n) for n in args.group_sizes.split(",")])
    sizes = ((10_000, 1_000), (20_000, 2_000)) if args.quick else SIZES
    with tempfile.TemporaryDirectory(prefix="circlebot-growth-") as scratch:
        if args.database:
            urls = asyncio.run(private_databases(args.database, len(sizes)))
        else:
            urls = [f"sqlite:///{Path(scratch) / f'growth{n}.db'}" for n in range(len(sizes))]
        results = asyncio.run(measure(urls, sizes, repeat=args.repeat, stats=not args.no_analyze))
    rows: list[tuple[str, str]] = []
    for (messages, open_count), figures in zip(sizes, results, strict=True):
        label = f"{messages:,} msgs / {open_count:,} open"
        rows.append((label, "  ".join(f"{k}: {figures[k]:.1f} ms" for k in TIMES)))
        rows.append(("", f"{figures['nudges sent of 100 due']:.0f} nudges sent of 100 due"))
    backend = "postgresql" if (args.database or "").startswith("postgres") else "sqlite"
    if backend == "postgresql" and args.no_analyze:
        backend += ", no ANALYZE"
    name = f"growth ({backend}, up to {sizes[-1][0]:,} msgs / {sizes[-1][1]:,} open)"
    largest, smallest = results[-1], results[0]
    for key in TIMES:
        ratio = largest[key] / smallest[key] if smallest[key] else 0.0
        rows.append((f"largest/smallest {key}", f"{ratio:.2f}x  (target <= 1.5x)"))
        if key == "sweep (idle)":  # the figure the 50 ms target is read against
            emit(name, f"{key} at largest", largest[key], unit="ms", target="<= 50",
                 ok=largest[key] <= 50)  # fmt: skip
        elif key == "sweep, 100 due":  # reported against 50 ms as a goal, not the target
            emit(name, f"{key} at largest", largest[key], unit="ms", target="goal <= 50",
                 ok=largest[key] <= 50)  # fmt: skip
        else:
            emit(name, f"{key} at largest", largest[key], unit="ms")
        emit(name, f"{key} growth", ratio, unit="x", target="<= 1.5", ok=ratio <= 1.5)
    emit(name, "per due deadline at largest", largest["per due deadline"], unit="ms")
    synthetic.print_table(
        f"growth ({backend}; target: idle sweep <= 50 ms at the largest, <= 1.5x)", rows
    )
    return 0


def group_table(database: str | None, groups: list[int]) -> int:
    """Print and emit "100 due" for each group size."""
    with tempfile.TemporaryDirectory(prefix="circlebot-growth-") as scratch:
        if database:
            (url,) = asyncio.run(private_databases(database, 1))
        else:
            url = f"sqlite:///{Path(scratch) / 'groups.db'}"
        medians = asyncio.run(compare_groups(url, groups, rounds=6))
    backend = "postgresql" if database else "sqlite"
    name = f"growth, deadlines to a transaction ({backend}, 100k msgs / 10k open)"
    rows = []
    for group, value in medians.items():
        emit(name, f"sweep, 100 due, {group} a transaction", value, unit="ms")
        rows.append((f"{group} deadline(s) a transaction", f"sweep, 100 due: {value:.1f} ms"))
    synthetic.print_table(name, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
