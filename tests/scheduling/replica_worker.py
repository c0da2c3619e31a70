"""One replica for the three-process test: waits for `go <instant>`, fires every job, reports."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import UTC, datetime

from bot.circle_config import CircleConfig
from bot.clock import SimulatedClock
from bot.engine import Engine
from bot.rule import RuleRegistry
from bot.scheduling import fires_between, plan_jobs
from bot.storage.db import Database
from tests.scheduling.job_rules import TickerRule

COMMUNITY = "test:circle"
CONFIG = (
    "community:\n  timezone: Europe/Madrid\n"
    "ticker:\n  crons: ['30 2 * * *', '0 9 * * *', '*/20 * * * *']\n"
)
START = datetime(2026, 10, 24, 12, tzinfo=UTC)  # across the fall-back night
END = datetime(2026, 10, 25, 12, tzinfo=UTC)


def expected_fires() -> list[tuple[str, str]]:
    """Every (claim id, fire time) the replicas must run between START and END."""
    engine = _engine("sqlite:///:memory:", "planner")
    jobs = plan_jobs(engine, [COMMUNITY])
    return [
        (job.claim_id, fire.astimezone(UTC).isoformat())
        for job in jobs
        for fire in fires_between(job.trigger, START, END)
    ]


def _engine(url: str, replica: str) -> Engine:
    config = CircleConfig.from_text(CONFIG, RuleRegistry([TickerRule]))
    return Engine(database=Database(url), config=config, clock=SimulatedClock(END), replica=replica)


async def main(url: str, replica: str) -> None:
    engine = _engine(url, replica)
    jobs = plan_jobs(engine, [COMMUNITY])
    fires = sorted(
        ((fire, job) for job in jobs for fire in fires_between(job.trigger, START, END)),
        key=lambda pair: pair[0],
    )
    await engine.database.check()
    print("ready", flush=True)
    start_at = float((await asyncio.to_thread(sys.stdin.readline)).split()[1])
    await asyncio.sleep(max(0.0, start_at - time.time()))  # one shared start instant
    ran: list[tuple[str, str]] = []

    async def fire_one(fire: datetime, job: object) -> None:
        spec = job.spec  # type: ignore[attr-defined]
        if await engine.run_job(
            community=COMMUNITY, rule_name="ticker", spec=spec, fire_time=fire, send=False
        ):
            ran.append((job.claim_id, fire.astimezone(UTC).isoformat()))  # type: ignore[attr-defined]

    # Each replica starts at a different point of the same list (as clocks and jitter would
    # have it) and walks all of it, so every fire is contended and the work is shared.
    offset = (int(replica.rsplit("-", 1)[-1]) * len(fires)) // 3 if replica[-1].isdigit() else 0
    fires = fires[offset:] + fires[:offset]
    for start in range(0, len(fires), 8):  # eight fires at once, like a busy scheduler
        await asyncio.gather(*(fire_one(fire, job) for fire, job in fires[start : start + 8]))
        await asyncio.sleep(0.01)  # a real scheduler's fires are spread out, not back to back
    runs = [[job, stamp] for job, stamp in TickerRule.RUNS]
    print(json.dumps({"replica": replica, "ran": ran, "rule_runs": runs}), flush=True)
    await engine.database.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
