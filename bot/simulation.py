"""Simulated time: advance a clock, firing deadlines, jobs and retries at their exact moments."""

from __future__ import annotations

from datetime import datetime

from bot.clock import SimulatedClock
from bot.engine import Engine
from bot.scheduling import SimulatedJobs
from bot.storage import repos


class Simulation:
    """Drives an engine on a SimulatedClock (console, demo, replay, tests)."""

    def __init__(self, engine: Engine, clock: SimulatedClock, *, jobs: bool = True) -> None:
        self.engine = engine
        self.clock = clock
        self.jobs = SimulatedJobs(engine) if jobs else None

    async def advance_to(self, target: datetime, *, send: bool = True) -> int:
        """Move time to `target`; everything due on the way runs at its own time."""
        steps = 0
        if self.jobs is not None:
            await self.jobs.refresh()
        last: datetime | None = None
        while True:
            moment = await self._next_moment(target)
            if moment is None:
                break
            self.clock.set(moment)
            ran = await self._run_due(send=send)
            if ran == 0 and moment == last:
                break  # nothing more can run at this moment (e.g. claimed elsewhere)
            steps += ran
            last = moment
        self.clock.set(target)
        steps += await self._run_due(send=send)
        return steps

    async def _next_moment(self, target: datetime) -> datetime | None:
        """The earliest deadline, job fire or retry at or before `target`."""
        candidates: list[datetime] = []
        async with self.engine.database.session() as session:
            deadline = await repos.next_deadline_at(session)
        if deadline is not None:
            candidates.append(deadline)
        if self.jobs is not None:
            fire = self.jobs.next_fire(target)
            if fire is not None:
                candidates.append(fire)
        if self.engine.adapters:
            retry = await self.engine.outbox.next_attempt_at()
            if retry is not None:
                candidates.append(retry)
        due = [c for c in candidates if c <= target]
        return max(min(due), self.clock.now()) if due else None

    async def _run_due(self, *, send: bool) -> int:
        ran = 0
        if self.jobs is not None:
            await self.jobs.refresh()
            ran += await self.jobs.run_due(self.clock.now())
        ran += await self.engine.sweep(send=send)
        if send and self.engine.adapters:
            ran += await self.engine.outbox.drain()
        return ran
