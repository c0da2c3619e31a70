"""Missed fires (grace), exactly-once claims across replicas in one process, real-time start."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

from bot.circle_config import CircleConfig
from bot.clock import SimulatedClock
from bot.engine import Engine
from bot.rule import RuleRegistry
from bot.scheduling import RealTimeJobs, catch_up, fires_between, plan_jobs
from bot.storage.db import Database
from tests.harness import COMMUNITY, Harness
from tests.scheduling.job_rules import TickerRule

DAILY_9 = "ticker:\n  crons: ['0 9 * * *']\n  grace_seconds: 3600\n"
MONDAY_8 = datetime(2026, 11, 23, 8, tzinfo=UTC)


async def _harness(url: str, config: str = DAILY_9) -> Harness:
    TickerRule.RUNS.clear()
    return await Harness.create(url, config, registry=RuleRegistry([TickerRule]), start=MONDAY_8)


async def test_missed_fire_within_grace_runs_once(sqlite_url: str) -> None:
    h = await _harness(sqlite_url)
    h.clock.set(datetime(2026, 11, 23, 9, 40, tzinfo=UTC))  # no replica was up at 09:00
    jobs = plan_jobs(h.engine, [COMMUNITY])
    assert await catch_up(h.engine, jobs, lookback=h.clock.now() - MONDAY_8) == [jobs[0].claim_id]
    assert await catch_up(h.engine, jobs, lookback=h.clock.now() - MONDAY_8) == []
    assert TickerRule.RUNS == [("job0", "2026-11-23T09:00:00+00:00")]
    assert [a.text for a in h.sent] == ["job0 2026-11-23T09:00:00+00:00"]
    await h.close()


async def test_missed_fire_beyond_grace_is_skipped_and_logged(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    h = await _harness(sqlite_url)
    h.clock.set(datetime(2026, 11, 23, 11, 0, 1, tzinfo=UTC))  # two hours late; grace is one
    caplog.set_level(logging.WARNING, logger="bot.scheduling")
    assert (
        await catch_up(
            h.engine, plan_jobs(h.engine, [COMMUNITY]), lookback=h.clock.now() - MONDAY_8
        )
        == []
    )
    assert TickerRule.RUNS == [] and h.sent == []
    assert any(
        "skipping missed fire" in r.getMessage() and "09:00" in r.getMessage()
        for r in caplog.records
    )
    await h.close()


async def test_real_time_start_catches_up_then_schedules(sqlite_url: str) -> None:
    h = await _harness(sqlite_url)
    h.clock.set(datetime(2026, 11, 23, 9, 5, tzinfo=UTC))
    jobs = RealTimeJobs(h.engine)
    await jobs.start()
    try:
        assert TickerRule.RUNS == [("job0", "2026-11-23T09:00:00+00:00")]
        [scheduled] = jobs.scheduler.get_jobs()
        assert scheduled.id == f"{COMMUNITY}|ticker|job0"
        await jobs.refresh()  # a refresh does not catch up twice
        assert len(TickerRule.RUNS) == 1
    finally:
        jobs.shutdown()
    await h.close()


async def test_three_engines_in_one_process_run_each_fire_once(database_url: str) -> None:
    TickerRule.RUNS.clear()
    config = CircleConfig.from_text(
        "ticker:\n  crons: ['*/30 * * * *', '0 9 * * *']\n", RuleRegistry([TickerRule])
    )
    first = Database(database_url)
    await first.upgrade()
    engines = [
        Engine(
            database=first if n == 0 else Database(database_url),
            config=config,
            clock=SimulatedClock(MONDAY_8),
            replica=f"r{n}",
        )
        for n in range(3)
    ]
    jobs = plan_jobs(engines[0], [COMMUNITY])
    fires = [
        (job, fire)
        for job in jobs
        for fire in fires_between(job.trigger, MONDAY_8, datetime(2026, 11, 23, 12, tzinfo=UTC))
    ]
    results = await asyncio.gather(
        *(
            engine.run_job(
                community=COMMUNITY, rule_name="ticker", spec=job.spec, fire_time=fire, send=False
            )
            for job, fire in fires
            for engine in engines
        )
    )
    per_fire = [sum(results[i * 3 : i * 3 + 3]) for i in range(len(fires))]
    assert len(fires) == 9 and per_fire == [1] * len(fires)
    assert len(TickerRule.RUNS) == len(set(TickerRule.RUNS)) == len(fires)
    for engine in engines:
        await engine.database.dispose()
