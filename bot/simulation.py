"""Simulated time: advance a clock, firing deadlines, jobs and retries at their exact moments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import SimulatedClock
from bot.engine import Engine
from bot.scheduling import SimulatedJobs
from bot.storage import repos


@dataclass(frozen=True)
class Moment:
    """The next moment something is due, and what is due then."""

    at: datetime
    deadline: bool
    job: bool
    retry: bool


class Simulation:
    """Drives an engine on a SimulatedClock (console, demo, replay, tests)."""

    def __init__(self, engine: Engine, clock: SimulatedClock, *, jobs: bool = True) -> None:
        self.engine = engine
        self.clock = clock
        self.jobs = SimulatedJobs(engine) if jobs else None
        self._known: list[datetime | None] = []
        """The earliest deadline as just read, while nothing ran since (replay reads it too)."""
        self._told = False

    def know_deadline(self, deadline: datetime | None) -> None:
        """The caller just read the earliest deadline: the next `advance_to` need not read it
        again (only that call: events handled in between may set earlier ones)."""
        self._known = [deadline]
        self._told = True

    def known_deadline(self) -> list[datetime | None]:
        """[the earliest deadline] as the last `advance_to` left it (ask right after), else []."""
        return list(self._known)

    async def advance_to(
        self, target: datetime, *, send: bool = True, refresh_jobs: bool = True
    ) -> int:
        """Move time to `target`; everything due on the way runs at its own time.

        Each step runs only what is due at its moment (a job, the deadline sweep, the outbox);
        once nothing is due up to `target`, the clock is set there. `refresh_jobs=False` when
        the caller refreshes the jobs itself whenever a community is added (replay).
        """
        steps = 0
        if not self._told:
            self._known = []
        self._told = False
        if self.jobs is not None and refresh_jobs:
            await self.jobs.refresh()
        last: datetime | None = None
        while True:
            moment = await self._next_moment(target, send=send)
            if moment is None:
                break
            self.clock.set(moment.at)
            ran = await self._run_due(moment, send=send)
            self._known = []
            if ran == 0 and moment.at == last:
                # nothing more can run at this moment (e.g. claimed elsewhere): try it all once
                # more at the target, as a plain clock would
                self.clock.set(target)
                steps += await self._run_due(Moment(target, True, True, True), send=send)
                return steps
            steps += ran
            last = moment.at
        self.clock.set(target)
        if self.jobs is not None:
            await self.jobs.run_due(target)  # nothing is due: only remembers how far it got
        return steps

    async def _next_moment(self, target: datetime, *, send: bool) -> Moment | None:
        """The earliest deadline, job fire or retry at or before `target`, and which are due.

        Without `send`, pending sends are no moment: they wait for the caller's drain.
        """
        if self._known:
            deadline = self._known[0]
        else:
            async with self.engine.database.session() as session:
                deadline = await repos.next_deadline_at(session)
            self._known = [deadline]
        fire = self.jobs.next_fire(target) if self.jobs is not None else None
        sending = send and self.engine.adapters
        retry = await self.engine.outbox.next_attempt_at() if sending else None
        due = [c for c in (deadline, fire, retry) if c is not None and c <= target]
        if not due:
            return None
        at = max(min(due), self.clock.now())
        return Moment(
            at=at,
            deadline=deadline is not None and deadline <= at,
            job=fire is not None and fire <= at,
            retry=retry is not None and retry <= at,
        )

    async def _run_due(self, moment: Moment, *, send: bool) -> int:
        """Run what is due now: jobs first, then deadlines (also any a job just set), then sends."""
        ran = 0
        if self.jobs is not None and moment.job:
            ran += await self.jobs.run_due(self.clock.now())
        if moment.deadline or ran:
            ran += await self.engine.sweep(send=send)
        if send and self.engine.adapters and moment.retry and not ran:
            ran += await self.engine.outbox.drain()  # (jobs and the sweep drain what they ran)
        return ran
