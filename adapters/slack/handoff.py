"""Hand acknowledged Slack requests to the core in order, retrying while the database is down.

Slack needs an answer within 3 seconds; the core (a database transaction, then sending) may take
longer or be unavailable. Requests are therefore acknowledged first and queued here; one worker
hands them to the core in arrival order. When the core raises `DatabaseUnavailable` (or a
SQLAlchemy error) the same job is retried with backoff, for as long as it takes, so an outage
loses nothing that was acknowledged while the process lives. Any other error is retried a few
times, then logged and dropped (a bug must not block every later event). When the queue is full
the HTTP route answers 503, so Slack redelivers the event later.

Acks come first. The HTTP route marks each request (`acking()`, or `in_flight += 1` and
`acked(started)`), which also adds up the time spent acknowledging. While requests are arriving
(one in flight, or one finished less than `quiet` seconds ago: requests that arrived during a
job are still unread in socket buffers when it ends), the worker gives the loop back after each
job for long enough that core work takes at most `busy_share` of the time (the core runs on the
same event loop, and its SQLite statements run inline). The pause is checked in steps as long
as the job just run (at least 1 ms, at most `check` seconds): when acks used less than
`saturated` of a step the loop has time to spare, and the core takes it at once (so a steady
stream of requests never holds the core to its share; only a stream that keeps the loop busy
does). Once requests stop the worker runs at full speed again.
The pause after one job never exceeds `max_pause`, so even a saturating stream of requests slows
the core but never stops it.

Batches: jobs offered as `Batched(item, handler)` (event deliveries) that are queued one after
another with the same handler are taken together, up to `max_batch` (`busy_batch` while requests
are arriving, so one batch never holds acks back for long), and handed to `handler` as one list
(one core transaction instead of one per event). A batch that fails with anything but
an outage is retried item by item, so one bad item never drops the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.storage.db import DatabaseUnavailable

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]
BatchHandler = Callable[[list[Any]], Awaitable[None]]
OUTAGE_ERRORS: tuple[type[Exception], ...] = (DatabaseUnavailable, SQLAlchemyError)
DEFAULT_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
DEFAULT_BUSY_SHARE = 0.05
DEFAULT_MAX_PAUSE = 1.0
DEFAULT_QUIET = 0.05
DEFAULT_CHECK = 0.01
DEFAULT_SATURATED = 0.25
DEFAULT_MAX_BATCH = 20
DEFAULT_BUSY_BATCH = 4


@dataclass(frozen=True, slots=True)
class Batched:
    """One item for `handler`; consecutive items with the same handler are handled together."""

    item: Any
    handler: BatchHandler

    async def __call__(self) -> None:
        await self.handler([self.item])


class Handoff:
    """An ordered in-memory queue of jobs with one worker and outage-aware retries."""

    def __init__(
        self,
        *,
        capacity: int = 10_000,
        retry_delays: Sequence[float] = DEFAULT_DELAYS,
        max_failures: int = 3,
        busy_share: float = DEFAULT_BUSY_SHARE,
        max_pause: float = DEFAULT_MAX_PAUSE,
        quiet: float = DEFAULT_QUIET,
        check: float = DEFAULT_CHECK,
        saturated: float = DEFAULT_SATURATED,
        max_batch: int = DEFAULT_MAX_BATCH,
        busy_batch: int = DEFAULT_BUSY_BATCH,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if not 0 < busy_share <= 1:
            raise ValueError("busy_share must be in (0, 1]")
        if not 0 <= saturated <= 1:
            raise ValueError("saturated must be in [0, 1]")
        if check <= 0:
            raise ValueError("check must be positive")
        if min(max_batch, busy_batch) < 1:
            raise ValueError("max_batch and busy_batch must be at least 1")
        self.capacity = capacity
        self.retry_delays = tuple(retry_delays) or (1.0,)
        self.max_failures = max_failures
        self.busy_share = busy_share
        self.max_pause = max_pause
        self.quiet = quiet
        self.check = check
        self.saturated = saturated
        self.max_batch = max_batch
        self.busy_batch = busy_batch
        self.clock = clock
        self.in_flight = 0
        self.ack_seconds = 0.0  # time spent acknowledging requests, added up by `acked`
        self.work_seconds = 0.0  # time spent running jobs (the core's share of the loop)
        self._last_ack = -float("inf")
        self._queue: asyncio.Queue[Job] | None = None
        self._held: Job | None = None  # taken from the queue, not batchable with the last batch
        self._worker: asyncio.Task[None] | None = None
        self.outage = False
        self.dropped = 0

    @property
    def queue(self) -> asyncio.Queue[Job]:
        if self._queue is None:
            self._queue = asyncio.Queue(maxsize=self.capacity)
        return self._queue

    @contextlib.contextmanager
    def acking(self) -> Iterator[None]:
        """Mark one request in flight: the worker yields to it (see the module docstring)."""
        self.in_flight += 1
        started = self.clock()
        try:
            yield
        finally:
            self.acked(started)

    def acked(self, started: float) -> None:
        """End of one request begun with `in_flight += 1` (the HTTP route's cheaper `acking`).

        `started` (this handoff's `clock()` when the request began) adds its time to
        `ack_seconds`, from which the worker tells a busy loop from one with time to spare.
        """
        self.in_flight -= 1
        now = self._last_ack = self.clock()
        self.ack_seconds += now - started

    def busy(self) -> bool:
        """True while requests are arriving: one in flight or one finished just now."""
        return self.in_flight > 0 or self.clock() - self._last_ack < self.quiet

    @property
    def pending(self) -> int:
        """Jobs queued and not yet started."""
        return self.queue.qsize() + (self._held is not None)

    def has_room(self) -> bool:
        """False when the queue is full (the HTTP route then answers 503)."""
        return not self.queue.full()

    def offer(self, job: Job) -> bool:
        """Queue a job; False (and logged) when full."""
        try:
            self.queue.put_nowait(job)
        except asyncio.QueueFull:
            log.error("slack hand-off queue is full (%d); a request was refused", self.capacity)
            return False
        return True

    def start(self) -> None:
        """Start the worker (idempotent)."""
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run(), name="slack-handoff")

    async def join(self) -> None:
        """Wait until every queued job has been handled (tests, graceful shutdown)."""
        await self.queue.join()

    async def stop(self, *, grace: float = 5.0) -> None:
        """Let queued jobs finish for up to `grace` seconds, then stop the worker."""
        if self._worker is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.queue.join(), grace)
        left = self.pending
        if left:
            log.warning("stopping with %d slack request(s) not handed to the core", left)
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        self._worker = None

    async def _run(self) -> None:
        while True:
            jobs = await self._take()
            try:
                started = self.clock()
                await self._run_jobs(jobs)
                spent = self.clock() - started
                self.work_seconds += spent
            finally:
                for _ in jobs:
                    self.queue.task_done()
            await self._yield_to_acks(spent)

    async def _take(self) -> list[Job]:
        """The next job, or the next run of `Batched` jobs of one handler (see the docstring)."""
        first = self._held if self._held is not None else await self.queue.get()
        self._held = None
        jobs = [first]
        if not isinstance(first, Batched):
            return jobs
        limit = self.busy_batch if self.busy() else self.max_batch
        while len(jobs) < limit and not self.queue.empty():
            job = self.queue.get_nowait()
            if not (isinstance(job, Batched) and job.handler == first.handler):
                self._held = job  # taken, so counted in `join()` until it has run
                break
            jobs.append(job)
        return jobs

    async def _run_jobs(self, jobs: list[Job]) -> None:
        if len(jobs) == 1 or not isinstance(jobs[0], Batched):
            await self._attempt(jobs[0])
            return
        handler = jobs[0].handler
        items = [job.item for job in jobs if isinstance(job, Batched)]
        if not await self._attempt(lambda: handler(items), max_failures=1, quiet=True):
            for job in jobs:
                await self._attempt(job)

    async def _yield_to_acks(self, spent: float) -> None:
        """Let pending requests run; while they keep the loop busy, pause to keep the core's share.

        The pause ends early once a step (as long as the job, 1 ms to `check`) shows acks using
        less than `saturated` of the loop's time: the loop has time to spare, and the core uses it.
        """
        await asyncio.sleep(0)
        pause = min(spent * (1 - self.busy_share) / self.busy_share, self.max_pause)
        end = self.clock() + pause
        while self.busy():
            now = self.clock()
            left = end - now
            if left <= 0:
                return
            acks_before = self.ack_seconds
            await asyncio.sleep(min(left, self.check, max(spent, 0.001)))
            elapsed = self.clock() - now
            if elapsed > 0 and self.ack_seconds - acks_before < self.saturated * elapsed:
                return

    async def _attempt(
        self, job: Job, *, max_failures: int | None = None, quiet: bool = False
    ) -> bool:
        """Run `job`, waiting out outages; False when it failed `max_failures` times (dropped)."""
        limit = self.max_failures if max_failures is None else max_failures
        failures = 0
        outages = 0
        while True:
            try:
                await job()
            except OUTAGE_ERRORS as exc:
                delay = self.retry_delays[min(outages, len(self.retry_delays) - 1)]
                if not self.outage:
                    log.warning("core unavailable (%s); holding slack requests, retrying", exc)
                self.outage = True
                outages += 1
                await asyncio.sleep(delay)
                continue
            except Exception:
                failures += 1
                if failures >= limit:
                    if quiet:
                        log.warning("a slack batch failed; retrying one by one", exc_info=True)
                        return False
                    self.dropped += 1
                    log.exception("a slack request failed %d times; dropping it", failures)
                    return False
                log.warning("a slack request failed; retrying", exc_info=True)
                await asyncio.sleep(self.retry_delays[0])
                continue
            if self.outage:
                log.info("core available again")
            self.outage = False
            return True
