"""DST: every wall-clock fire runs once on spring-forward and fall-back days (Europe/Madrid)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.rule import RuleRegistry
from bot.scheduling import WallClockCronTrigger, fires_between, repeated_wall_time
from tests.harness import Harness
from tests.scheduling.job_rules import TickerRule

MADRID = "Europe/Madrid"


def _local(fires: list[datetime]) -> list[str]:
    return [f.astimezone(UTC).isoformat() for f in fires]


@pytest.mark.parametrize(
    ("cron", "day", "expected_utc"),
    [
        # spring forward 2026-03-29: 02:00 CET -> 03:00 CEST; 02:30 does not exist that night
        ("30 2 * * *", (2026, 3, 29), ["2026-03-29T01:30:00+00:00"]),  # once, just after the gap
        ("0 9 * * *", (2026, 3, 29), ["2026-03-29T07:00:00+00:00"]),  # 09:00 CEST
        # fall back 2026-10-25: 03:00 CEST -> 02:00 CET; 02:30 happens twice
        ("30 2 * * *", (2026, 10, 25), ["2026-10-25T00:30:00+00:00"]),  # the first one only
        ("0 9 * * *", (2026, 10, 25), ["2026-10-25T08:00:00+00:00"]),  # 09:00 CET
    ],
)
def test_fire_times_on_transition_days(
    cron: str, day: tuple[int, int, int], expected_utc: list[str]
) -> None:
    trigger = WallClockCronTrigger.from_crontab(cron, timezone=MADRID)
    start = datetime(*day, tzinfo=UTC) - timedelta(hours=2)  # local midnight (CET or CEST)
    fires = list(fires_between(trigger, start, start + timedelta(days=1)))
    assert _local(fires) == expected_utc


def test_fall_back_never_loops_and_next_fire_always_moves_forward() -> None:
    trigger = WallClockCronTrigger.from_crontab("30 2 * * *", timezone=MADRID)
    fire = trigger.get_next_fire_time(None, datetime(2026, 10, 24, tzinfo=UTC))
    seen = []
    for _ in range(4):  # what APScheduler's own scheduler does between runs
        assert fire is not None
        seen.append(fire)
        fire = trigger.get_next_fire_time(fire, fire)
    assert seen == sorted(set(seen))
    assert [f.astimezone(UTC).day for f in seen] == [24, 25, 26, 27]


def test_frequent_job_skips_only_the_repeated_hour_on_fall_back() -> None:
    trigger = WallClockCronTrigger.from_crontab("*/20 * * * *", timezone=MADRID)
    start = datetime(2026, 10, 24, 23, 50, tzinfo=UTC)
    fires = list(fires_between(trigger, start, datetime(2026, 10, 25, 2, 30, tzinfo=UTC)))
    local = [f.strftime("%H:%M%z") for f in fires]
    assert local == [
        "02:00+0200", "02:20+0200", "02:40+0200",  # first pass through 02:xx (CEST)
        "03:00+0100", "03:20+0100",  # 02:xx CET repeated: skipped; 03:00 CET not lost
    ]  # fmt: skip


def test_repeated_wall_time_is_only_the_second_occurrence() -> None:
    trigger = WallClockCronTrigger.from_crontab("30 2 * * *", timezone=MADRID)
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert not repeated_wall_time(first, trigger.timezone)
    assert repeated_wall_time(second, trigger.timezone)
    assert not repeated_wall_time(datetime(2026, 3, 29, 1, 30, tzinfo=UTC), trigger.timezone)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (
            datetime(2026, 3, 27, 12, tzinfo=UTC),
            [
                ("job0", "2026-03-28T02:30:00+01:00"),
                ("job1", "2026-03-28T09:00:00+01:00"),
                ("job0", "2026-03-29T03:30:00+02:00"),  # 02:30 did not exist: once, after the gap
                ("job1", "2026-03-29T09:00:00+02:00"),
                ("job0", "2026-03-30T02:30:00+02:00"),
                ("job1", "2026-03-30T09:00:00+02:00"),
            ],
        ),
        (
            datetime(2026, 10, 23, 12, tzinfo=UTC),
            [
                ("job0", "2026-10-24T02:30:00+02:00"),
                ("job1", "2026-10-24T09:00:00+02:00"),
                ("job0", "2026-10-25T02:30:00+02:00"),  # 02:30 happened twice: runs once
                ("job1", "2026-10-25T09:00:00+01:00"),
                ("job0", "2026-10-26T02:30:00+01:00"),
                ("job1", "2026-10-26T09:00:00+01:00"),
            ],
        ),
    ],
    ids=["spring-forward", "fall-back"],
)
async def test_engine_runs_each_fire_once_across_the_transition(
    sqlite_url: str, start: datetime, expected: list[tuple[str, str]]
) -> None:
    TickerRule.RUNS.clear()
    config = f"community:\n  timezone: {MADRID}\n"
    h = await Harness.create(sqlite_url, config, registry=RuleRegistry([TickerRule]), start=start)
    await h.advance("3d")
    assert TickerRule.RUNS == expected
    assert [a.text for a in h.sent] == [f"{job} {stamp}" for job, stamp in expected]
    await h.close()
