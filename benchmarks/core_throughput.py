"""Core throughput: events per second through the engine with every rule enabled.

Usage: ``.venv/bin/python benchmarks/core_throughput.py [--events N] [--database URL] [--quick]``

Feeds the synthetic community (``benchmarks/synthetic.py``) to ``Engine.handle_batch`` in batches
(one transaction each; the simulated clock follows each event), with the replay adapter (it
sends nothing); the outbox is drained every ten batches and deadlines are swept as they fall due;
the inbox forgets keys older than a week, hourly in simulated time, and the garbage collector
is tuned (`bot/collector.py`), as the runtime does.
Default database: a fresh SQLite file in a temporary directory. Prints events/s and peak RSS.
The target is compared with the engine's own time (handling, sweeps, sends); the wall rate,
which also pays for generating and parsing the synthetic events, is printed next to it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import synthetic  # noqa: E402
from report import emit  # noqa: E402

from bot.circle_config import CircleConfig  # noqa: E402
from bot.clock import SimulatedClock  # noqa: E402
from bot.collector import tune_collector  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.events import Event  # noqa: E402
from bot.rule import default_registry  # noqa: E402
from bot.storage.db import Database  # noqa: E402

COMMUNITY = "replay:synthetic"


@dataclass
class Figures:
    """What one run measured."""

    events: int = 0
    handled: int = 0
    handle_seconds: float = 0.0
    other_seconds: float = 0.0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    actions: int = 0

    @property
    def rate(self) -> float:
        return self.events / self.handle_seconds if self.handle_seconds else 0.0

    @property
    def engine_rate(self) -> float:
        """Events per second of the engine's own time: handling, sweeps and sends (not the
        synthetic generator that stands in for the platforms)."""
        engine = self.handle_seconds + self.other_seconds
        return self.events / engine if engine else 0.0

    @property
    def overall_rate(self) -> float:
        return self.events / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def cpu_rate(self) -> float:
        """Events per CPU-second of this process: what a quiet machine's wall rate would be."""
        return self.events / self.cpu_seconds if self.cpu_seconds else 0.0


async def reset_postgres(url: str) -> None:
    """Drop every table of a PostgreSQL database (benchmarks start empty)."""
    from sqlalchemy import text

    database = Database(url)
    try:
        async with database.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await database.dispose()


async def run(*, events: int, database_url: str, batch: int, seed: int = 7) -> Figures:
    """Feed `events` synthetic events through a fresh engine; return the figures."""
    if database_url.startswith("postgres"):
        await reset_postgres(database_url)
    config = CircleConfig.from_text(synthetic.BENCH_CONFIG, default_registry(), source="bench")
    database = Database(database_url)
    await database.upgrade()
    clock = SimulatedClock(synthetic.START)
    adapter = synthetic.SendingAdapter()
    engine = Engine(database=database, config=config, clock=clock, adapters={"replay": adapter})
    await engine.register_community(COMMUNITY, "synthetic")
    tune_collector()  # as the runtime does once started
    figures = Figures()
    chunk: list[Event] = []
    batches = 0
    started = time.perf_counter()
    cpu_started = time.process_time()

    async def flush() -> None:
        nonlocal batches
        t0 = time.perf_counter()
        figures.handled += await engine.handle_batch(chunk, send=False, advance=clock.set)
        t1 = time.perf_counter()
        figures.handle_seconds += t1 - t0
        batches += 1
        if batches % 10 == 0:
            await engine.sweep(send=False)
            await engine.outbox.drain()
            await engine.prune_inbox()  # hourly in simulated time, as the runtime's ticker
        figures.other_seconds += time.perf_counter() - t1

    try:
        for event in synthetic.events(events, seed=seed):
            chunk.append(event)
            figures.events += 1
            if len(chunk) >= batch:
                await flush()
                chunk = []
        if chunk:
            await flush()
        await engine.outbox.drain()
    finally:
        figures.wall_seconds = time.perf_counter() - started
        figures.cpu_seconds = time.process_time() - cpu_started
        figures.actions = adapter.executed
        await database.dispose()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="5,000 events")
    parser.add_argument("--profile", help="write a pyinstrument text profile to this file")
    args = parser.parse_args(argv)
    count = 5_000 if args.quick else args.events
    with tempfile.TemporaryDirectory(prefix="circlebot-bench-") as scratch:
        url = args.database or f"sqlite:///{Path(scratch) / 'bench.db'}"
        coro = run(events=count, database_url=url, batch=args.batch)
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(async_mode="disabled")
            profiler.start()
            figures = asyncio.run(coro)
            profiler.stop()
            Path(args.profile).write_text(profiler.output_text(show_all=False), encoding="utf-8")
        else:
            figures = asyncio.run(coro)
    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    synthetic.print_table(
        f"core throughput ({backend}, batches of {args.batch}, every rule enabled)",
        [
            ("events", f"{figures.events:,} ({figures.handled:,} new)"),
            ("handle_batch time", f"{figures.handle_seconds:.1f} s"),
            ("events/s (handle_batch only)", f"{figures.rate:,.0f}"),
            ("sweeps + outbox time", f"{figures.other_seconds:.1f} s"),
            ("events/s (engine)", f"{figures.engine_rate:,.0f}  (target >= 3,000)"),
            ("events/s (wall, with the generator)", f"{figures.overall_rate:,.0f}"),
            ("events per CPU-second", f"{figures.cpu_rate:,.0f}  (whatever else the machine runs)"),
            ("actions sent", f"{figures.actions:,}"),
            ("peak RSS", f"{synthetic.peak_rss_mb():.0f} MB  (target <= 300)"),
        ],
    )
    name = f"core throughput ({backend}, {figures.events:,} events)"
    rate = figures.engine_rate
    emit(name, "events/s (engine)", rate, target=">= 3000", ok=rate >= 3000)
    emit(name, "events/s (wall, with the generator)", figures.overall_rate)
    emit(name, "events per CPU-second", figures.cpu_rate)
    rss = synthetic.peak_rss_mb()
    emit(name, "peak RSS", rss, unit="MB", target="<= 300", ok=rss <= 300)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
