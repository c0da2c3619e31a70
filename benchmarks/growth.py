"""Growth: the deadline sweep and `unanswered` as stored messages and open questions grow.

Usage: ``.venv/bin/python benchmarks/growth.py [--database URL] [--quick]``

For each size (10k/1k, 100k/10k, 1M/100k stored messages/open questions) a fresh database is
seeded in bulk: settled questions and channel lines stand for the stored messages, each open
question has its ladder deadline (due in the future). Then, median of repeated runs:
- ``sweep (idle)``: `Engine.sweep()` with nothing due (what every replica runs each second);
- ``claim 100 due``: 100 deadlines made due, claimed and run through the questions rule;
- ``unanswered``: `rules.questions.store.open_questions` (oldest 50, and in one channel).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import synthetic  # noqa: E402
from core_throughput import NullAdapter, reset_postgres  # noqa: E402
from report import emit  # noqa: E402
from sqlalchemy import insert, update  # noqa: E402

from bot.circle_config import CircleConfig  # noqa: E402
from bot.clock import SimulatedClock  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.rule import default_registry  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from bot.storage.models import Deadline  # noqa: E402
from rules.questions.models import ChannelLine, Question  # noqa: E402
from rules.questions.store import open_questions  # noqa: E402

COMMUNITY = "replay:synthetic"
SIZES = ((10_000, 1_000), (100_000, 10_000), (1_000_000, 100_000))
CHUNK = 5_000


async def seed(database: Database, *, messages: int, open_count: int) -> None:
    """Bulk rows: `messages` stored messages (half settled questions, half lines), open ones."""
    start = synthetic.START
    channels = synthetic.CHANNELS

    def question(n: int, state: str) -> dict[str, Any]:
        return {
            "community": COMMUNITY, "channel": channels[n % len(channels)],
            "channel_name": channels[n % len(channels)], "message_id": f"q{state}{n}",
            "asker": f"U{n % 5000:05d}", "asked_at": start + timedelta(seconds=n),
            "text": "how do I configure the VPN?", "state": state,
            "escalation_pending": False,
        }  # fmt: skip

    async def bulk(table: Any, rows: Callable[[int], dict[str, Any]], count: int) -> None:
        for first in range(0, count, CHUNK):
            batch = [rows(n) for n in range(first, min(first + CHUNK, count))]
            async with database.session() as session:
                await session.execute(insert(table), batch)

    await bulk(Question.__table__, lambda n: question(n, "solved"), messages // 2)
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
        messages - messages // 2,
    )
    await bulk(Question.__table__, lambda n: question(n, "open"), open_count)
    far = start + timedelta(days=3650)
    await bulk(
        Deadline.__table__,
        lambda n: {
            "community": COMMUNITY,
            "rule": "questions",
            "key": f"q:{n + 1 + messages // 2}",
            "due_at": far + timedelta(seconds=n),
            "payload": {"step": "helpers"},
        },
        open_count,
    )


async def timed(step: Callable[[], Awaitable[Any]], repeat: int) -> float:
    """Median milliseconds of `repeat` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await step()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def measure(url: str, *, messages: int, open_count: int, repeat: int) -> dict[str, float]:
    if url.startswith("postgres"):
        await reset_postgres(url)
    database = Database(url)
    await database.upgrade()
    try:
        await seed(database, messages=messages, open_count=open_count)
        config = CircleConfig.from_text(synthetic.BENCH_CONFIG, default_registry(), source="bench")
        clock = SimulatedClock(synthetic.START + timedelta(days=30))
        engine = Engine(
            database=database, config=config, clock=clock, adapters={"replay": NullAdapter()}
        )
        figures = {"sweep (idle)": await timed(lambda: engine.sweep(send=False), repeat)}

        async def claim_due() -> None:
            async with database.session() as session:
                made_due = await session.execute(
                    update(Deadline)
                    .where(Deadline.id.in_(_pick(open_count)))
                    .values(due_at=clock.now() - timedelta(seconds=1))
                    .returning(Deadline.id)
                )
                ids = made_due.all()
            started = time.perf_counter()
            await engine.sweep(send=False)
            claim_times.append((time.perf_counter() - started) * 1000)
            assert ids

        claim_times: list[float] = []
        for _ in range(3):
            await claim_due()
        figures["sweep, 100 due"] = statistics.median(claim_times)

        async def unanswered() -> None:
            async with database.session() as session:
                await open_questions(session, COMMUNITY, now=clock.now())
                await open_questions(session, COMMUNITY, now=clock.now(), channel="help")

        figures["unanswered"] = await timed(unanswered, repeat)
        return figures
    finally:
        await database.dispose()


_picked = 0


def _pick(open_count: int) -> list[int]:
    """100 deadline ids not picked before (ids are 1..open_count in a fresh database)."""
    global _picked
    first = _picked % max(open_count - 100, 1)
    _picked += 100
    return list(range(first + 1, first + 101))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="database URL (default: temporary SQLite files)")
    parser.add_argument("--quick", action="store_true", help="10k/1k and 20k/2k only")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    sizes = ((10_000, 1_000), (20_000, 2_000)) if args.quick else SIZES
    rows: list[tuple[str, str]] = []
    results: list[dict[str, float]] = []
    for messages, open_count in sizes:
        global _picked
        _picked = 0
        with tempfile.TemporaryDirectory(prefix="circlebot-growth-") as scratch:
            url = args.database or f"sqlite:///{Path(scratch) / 'growth.db'}"
            figures = asyncio.run(
                measure(url, messages=messages, open_count=open_count, repeat=args.repeat)
            )
        results.append(figures)
        label = f"{messages:,} msgs / {open_count:,} open"
        rows.append((label, "  ".join(f"{k}: {v:6.1f} ms" for k, v in figures.items())))
    backend = "postgresql" if (args.database or "").startswith("postgres") else "sqlite"
    name = f"growth ({backend}, up to {sizes[-1][0]:,} msgs / {sizes[-1][1]:,} open)"
    for key in results[0]:
        ratio = results[-1][key] / results[0][key] if results[0][key] else 0.0
        rows.append((f"largest/smallest {key}", f"{ratio:.2f}x  (target <= 1.5x)"))
        emit(name, f"{key} at largest", results[-1][key], unit="ms")
        emit(name, f"{key} growth", ratio, unit="x", target="<= 1.5", ok=ratio <= 1.5)
    synthetic.print_table(f"growth ({backend}; sweep target <= 50 ms at the largest)", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
