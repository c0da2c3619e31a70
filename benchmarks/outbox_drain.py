"""Outbox: the cost of storing and sending one action (enqueue, then `OutboxSender.drain`).

Usage: ``.venv/bin/python benchmarks/outbox_drain.py [--actions N] [--rounds R] [--database URL]``

Each round stores N actions one `enqueue` at a time in one transaction (as the event path does),
then drains them through a null adapter (claim, send, mark sent). Prints the median over the
rounds of microseconds per action, wall and CPU, for each step. Default database: a fresh SQLite
file in a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import synthetic  # noqa: E402
from core_throughput import reset_postgres  # noqa: E402
from report import emit  # noqa: E402

from bot.actions import Post  # noqa: E402
from bot.circle_config import CircleConfig  # noqa: E402
from bot.clock import SimulatedClock  # noqa: E402
from bot.outbox import OutboxSender, enqueue  # noqa: E402
from bot.rule import RuleRegistry  # noqa: E402
from bot.storage.db import Database  # noqa: E402

COMMUNITY = "replay:synthetic"


async def rounds(*, actions: int, count: int, database_url: str) -> dict[str, list[float]]:
    """µs per action of each step, one value per round."""
    if database_url.startswith("postgres"):
        await reset_postgres(database_url)
    database = Database(database_url)
    await database.upgrade()
    clock = SimulatedClock(synthetic.START)
    adapter = synthetic.SendingAdapter()
    sender = OutboxSender(
        database=database,
        clock=clock,
        config=CircleConfig.from_text("", RuleRegistry([]), source="bench"),
        adapters={"replay": adapter},
        replica="bench",
    )
    figures: dict[str, list[float]] = {"enqueue": [], "drain": [], "drain CPU": []}
    try:
        for number in range(count + 1):  # the first round warms up
            now = clock.now()
            started = time.perf_counter()
            async with database.session() as session:
                for index in range(actions):
                    action = Post(community=COMMUNITY, channel="general", text=f"n{index}")
                    await enqueue(
                        session, key=f"bench:{number}:{index}", rule="bench", action=action, now=now
                    )
            enqueued = time.perf_counter()
            cpu = time.process_time()
            sent = await sender.drain()
            drained = time.perf_counter()
            assert sent == actions, f"sent {sent} of {actions}"
            if number:
                figures["enqueue"].append((enqueued - started) / actions * 1e6)
                figures["drain"].append((drained - enqueued) / actions * 1e6)
                figures["drain CPU"].append((time.process_time() - cpu) / actions * 1e6)
            clock.advance(timedelta(seconds=1))
    finally:
        await database.dispose()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="circlebot-bench-") as scratch:
        url = args.database or f"sqlite:///{Path(scratch) / 'bench.db'}"
        figures = asyncio.run(rounds(actions=args.actions, count=args.rounds, database_url=url))
    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    medians = {step: statistics.median(values) for step, values in figures.items()}
    synthetic.print_table(
        f"outbox ({backend}, {args.actions} actions a round, median of {args.rounds} rounds)",
        [(f"{step} per action", f"{value:,.0f} µs") for step, value in medians.items()],
    )
    name = f"outbox drain ({backend})"
    for step, value in medians.items():
        emit(name, f"{step} per action", value, unit="µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
