"""Scheduled jobs: cron triggers in each community's timezone, run once across replicas."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.engine import Engine, job_claim_id
from bot.rule import JobSpec
from bot.storage import repos

log = logging.getLogger(__name__)

_TICK = timedelta(microseconds=1)
_MAX_PROBES = 1000


class WallClockCronTrigger(CronTrigger):
    """A cron trigger that fires each wall-clock time once across DST changes, and never loops.

    APScheduler 3.11 can return the same fire time forever after a fall-back transition
    (agronholm/apscheduler#1021) and fires a 02:30 job twice on that night; here a time that
    repeats in the fall-back hour fires only at its first occurrence, and a time skipped by
    spring-forward fires once, just after the gap.
    """

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        # arithmetic in UTC: adding to a local time drops `fold` and can jump back an hour
        start = now if previous_fire_time is None else previous_fire_time.astimezone(UTC) + _TICK
        start = start.astimezone(UTC)
        for _ in range(_MAX_PROBES):
            fire: datetime | None = super().get_next_fire_time(None, start)
            if fire is None:
                return None
            fire = fire.astimezone(UTC)
            if fire < start:  # a DST corner APScheduler gets wrong: look a minute later
                start += timedelta(minutes=1)
                continue
            if not repeated_wall_time(fire, self.timezone):
                return fire.astimezone(self.timezone)  # a real local time (fold set)
            start = fire + _TICK
        log.error("no next fire time found for %s after %s", self, now.isoformat())
        return None


def repeated_wall_time(fire: datetime, tz: tzinfo) -> bool:
    """True for the second occurrence of a local time repeated by a fall-back transition."""
    local = fire.astimezone(tz)
    first = local.replace(fold=0)
    return first.astimezone(UTC) < local.astimezone(UTC)


@dataclass(frozen=True)
class PlannedJob:
    """A job of one rule in one community, with its trigger."""

    community: str
    rule: str
    spec: JobSpec
    trigger: CronTrigger

    @property
    def claim_id(self) -> str:
        return job_claim_id(self.community, self.rule, self.spec.job_id)


def plan_jobs(engine: Engine, communities: Sequence[str]) -> list[PlannedJob]:
    """Every enabled rule's jobs for every community, built from config."""
    planned = []
    for community in communities:
        config = engine.config.for_community(community)
        for rule in engine.registry.ordered():
            if not config.is_enabled(rule.name):
                continue
            for spec in rule.jobs(config.rule_settings(rule.name)):
                trigger = WallClockCronTrigger.from_crontab(spec.cron, timezone=config.tz)
                planned.append(PlannedJob(community, rule.name, spec, trigger))
    return planned


def fires_between(trigger: CronTrigger, start: datetime, end: datetime) -> Iterator[datetime]:
    """Fire times in (start, end], in order (DST-aware through the trigger's timezone)."""
    fire = trigger.get_next_fire_time(None, start + _TICK)
    while fire is not None and fire <= end:
        yield fire
        following = trigger.get_next_fire_time(fire, fire.astimezone(UTC) + _TICK)
        if following is not None and following <= fire:
            log.error("trigger %s did not move past %s; stopping", trigger, fire.isoformat())
            return
        fire = following


def latest_fire(trigger: CronTrigger, now: datetime, horizon: timedelta) -> datetime | None:
    """The most recent fire time at or before `now`, looking back at most `horizon`."""
    latest = None
    for fire in fires_between(trigger, now - horizon - _TICK, now):
        latest = fire
    return latest


async def catch_up(engine: Engine, jobs: Sequence[PlannedJob], *, lookback: timedelta) -> list[str]:
    """Run fires missed while no replica was up: within grace once, otherwise skip and log."""
    now = engine.clock.now()
    ran = []
    for job in jobs:
        fire = latest_fire(job.trigger, now, lookback)
        if fire is None:
            continue
        async with engine.database.session() as session:
            if await repos.job_fire_claimed(session, job_id=job.claim_id, fire_time=fire):
                continue
        if now - fire <= timedelta(seconds=job.spec.grace_seconds):
            log.info("running missed fire of %s at %s", job.claim_id, fire.isoformat())
            if await engine.run_job(
                community=job.community, rule_name=job.rule, spec=job.spec, fire_time=fire
            ):
                ran.append(job.claim_id)
        else:
            log.warning(
                "skipping missed fire of %s at %s: older than its grace period of %ss",
                job.claim_id,
                fire.isoformat(),
                job.spec.grace_seconds,
            )
    return ran


class SimulatedJobs:
    """Fires jobs for simulated clocks (console, demo, replay) as time is advanced.

    Each job's first fire after `since` is computed once and kept until it runs (or the jobs
    change), so asking for the next fire costs no cron arithmetic.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._since: datetime | None = None
        self._jobs: list[PlannedJob] = []
        self._communities: tuple[str, ...] = ()
        self._upcoming: list[datetime] | None = None  # each job's first fire after _since

    async def refresh(self) -> None:
        communities = tuple(await self.engine.communities())
        if communities != self._communities:
            self._communities = communities
            self._jobs = plan_jobs(self.engine, communities)
            self._upcoming = None
        if self._since is None:
            self._since = self.engine.clock.now()
            self._upcoming = None

    def _first_fires(self) -> list[datetime]:
        if self._upcoming is None:
            since = self._since
            assert since is not None
            self._upcoming = [
                fire
                for job in self._jobs
                for fire in _first(
                    fires_between(job.trigger, since, datetime.max.replace(tzinfo=UTC))
                )
            ]
        return self._upcoming

    def next_fire(self, until: datetime) -> datetime | None:
        """The earliest fire in (since, until], if any."""
        if self._since is None:
            return None
        fires = [fire for fire in self._first_fires() if fire <= until]
        return min(fires) if fires else None

    async def run_due(self, now: datetime) -> int:
        """Run every fire in (since, now]; returns how many ran."""
        if self._since is None:
            return 0
        if self.next_fire(now) is None:
            self._since = max(self._since, now)  # nothing due: the first fires stay the same
            return 0
        ran = 0
        fires = sorted(
            (
                (fire, job)
                for job in self._jobs
                for fire in fires_between(job.trigger, self._since, now)
            ),
            key=lambda pair: pair[0],
        )
        for fire, job in fires:
            ran += await self.engine.run_job(
                community=job.community, rule_name=job.rule, spec=job.spec, fire_time=fire
            )
        self._since = now
        self._upcoming = None
        return ran


def _first(items: Iterator[datetime]) -> list[datetime]:
    for item in items:
        return [item]
    return []


class RealTimeJobs:
    """APScheduler 3.11 in this process; the claim table makes each fire run once in total."""

    def __init__(self, engine: Engine, *, lookback: timedelta = timedelta(days=8)) -> None:
        self.engine = engine
        self.lookback = lookback
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._planned: dict[str, PlannedJob] = {}

    async def start(self) -> None:
        await self.refresh()
        self.scheduler.start()

    async def refresh(self) -> None:
        """(Re)build jobs from config for every known community; catch up missed fires."""
        jobs = plan_jobs(self.engine, await self.engine.communities())
        wanted = {job.claim_id: job for job in jobs}
        for claim_id in set(self._planned) - set(wanted):
            self.scheduler.remove_job(claim_id)
        new = [job for cid, job in wanted.items() if cid not in self._planned]
        for job in new:
            self.scheduler.add_job(
                self._fire,
                trigger=job.trigger,
                args=[job],
                id=job.claim_id,
                misfire_grace_time=job.spec.grace_seconds,
                coalesce=True,
                max_instances=1,
            )
        self._planned = wanted
        await catch_up(self.engine, new, lookback=self.lookback)

    async def _fire(self, job: PlannedJob, **_: Any) -> None:
        fire = latest_fire(job.trigger, self.engine.clock.now(), timedelta(minutes=5))
        if fire is None:
            return
        try:
            await self.engine.run_job(
                community=job.community, rule_name=job.rule, spec=job.spec, fire_time=fire
            )
        except Exception:
            log.exception("scheduled job %s failed at %s", job.claim_id, fire.isoformat())

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
