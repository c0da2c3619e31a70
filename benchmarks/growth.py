"""Growth: the deadline sweep and `unanswered` as stored messages and open questions grow.

Usage: ``.venv/bin/python benchmarks/growth.py [--database URL] [--quick] [--no-analyze]``

For each size (10k/1k, 100k/10k, 1M/100k stored messages/open questions) a fresh database is
seeded in bulk: settled questions (a quarter of them with a past helpers nudge) and channel lines
stand for the stored messages; each open question has its ladder deadline, due in the future.
On PostgreSQL the seeded tables are ANALYZEd (in production autovacuum does this; a bulk load
measured before it ran has no statistics and the planner ignores the indexes: `--no-analyze`).
Then, median of repeated runs:
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
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import synthetic  # noqa: E402
from core_throughput import NullAdapter, reset_postgres  # noqa: E402
from report import emit  # noqa: E402
from sqlalchemy import func, insert, select, text, update  # noqa: E402

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


async def timed(step: Callable[[], Awaitable[Any]], repeat: int) -> float:
    """Median milliseconds of `repeat` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await step()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


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


async def measure(
    url: str, *, messages: int, open_count: int, repeat: int, stats: bool
) -> dict[str, float]:
    if url.startswith("postgres"):
        await reset_postgres(url)
    database = Database(url)
    await database.upgrade()
    try:
        await seed(database, messages=messages, open_count=open_count)
        if stats and database.is_postgres:
            await analyze(database)
        config = CircleConfig.from_text(synthetic.BENCH_CONFIG, default_registry(), source="bench")
        clock = SimulatedClock(NOW)
        engine = Engine(
            database=database, config=config, clock=clock, adapters={"replay": NullAdapter()}
        )
        cheap = 3 * repeat  # the idle sweep and `unanswered` take milliseconds: more runs
        figures = {"sweep (idle)": await timed(lambda: engine.sweep(send=False), cheap)}
        due_times: list[float] = []
        for round_ in range(min(repeat, open_count // DUE)):
            clock.advance(timedelta(minutes=3))  # past the helpers' per-channel gap
            await make_due(database, round_, messages=messages, now=clock.now())
            async with database.session() as session:
                before = await session.scalar(select(func.count()).select_from(OutboxEntry))
            started = time.perf_counter()
            ran = await engine.sweep(send=False)
            due_times.append((time.perf_counter() - started) * 1000)
            async with database.session() as session:
                after = await session.scalar(select(func.count()).select_from(OutboxEntry))
            assert ran == DUE, f"the sweep ran {ran} deadlines, not {DUE}"
            figures["nudges sent of 100 due"] = float((after or 0) - (before or 0))
        figures["sweep, 100 due"] = statistics.median(due_times)
        figures["per due deadline"] = figures["sweep, 100 due"] / DUE

        async def command(args: list[str]) -> None:
            rule = engine.registry.get("questions")
            async with database.session() as session:
                ctx = engine._context(
                    session, rule, COMMUNITY, clock.now(), engine.capabilities(COMMUNITY)
                )
                cmd = CommandInvoked(
                    platform="replay", event_id="bench", community=COMMUNITY, at=clock.now(),
                    user="U00000", channel="mods", text="unanswered " + " ".join(args),
                )  # fmt: skip
                (reply,) = await unanswered(cmd, args, ctx)
                assert reply.text[:1].isdigit(), reply.text  # a listing, not "No unanswered"

        figures["unanswered"] = await timed(lambda: command([]), cheap)
        figures["unanswered #help"] = await timed(lambda: command(["#help"]), cheap)
        figures[f"unanswered #{QUIET}"] = await timed(lambda: command([f"#{QUIET}"]), cheap)
        return figures
    finally:
        await database.dispose()


TIMES = ("sweep (idle)", "sweep, 100 due", "unanswered", "unanswered #help", f"unanswered #{QUIET}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="database URL (default: temporary SQLite files)")
    parser.add_argument("--quick", action="store_true", help="10k/1k and 20k/2k only")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--no-analyze", action="store_true", help="measure PostgreSQL without table statistics"
    )
    args = parser.parse_args(argv)
    sizes = ((10_000, 1_000), (20_000, 2_000)) if args.quick else SIZES
    rows: list[tuple[str, str]] = []
    results: list[dict[str, float]] = []
    for messages, open_count in sizes:
        with tempfile.TemporaryDirectory(prefix="circlebot-growth-") as scratch:
            url = args.database or f"sqlite:///{Path(scratch) / 'growth.db'}"
            figures = asyncio.run(
                measure(
                    url,
                    messages=messages,
                    open_count=open_count,
                    repeat=args.repeat,
                    stats=not args.no_analyze,
                )
            )
        results.append(figures)
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
        else:
            emit(name, f"{key} at largest", largest[key], unit="ms")
        emit(name, f"{key} growth", ratio, unit="x", target="<= 1.5", ok=ratio <= 1.5)
    emit(name, "per due deadline at largest", largest["per due deadline"], unit="ms")
    synthetic.print_table(
        f"growth ({backend}; target: idle sweep <= 50 ms at the largest, <= 1.5x)", rows
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
