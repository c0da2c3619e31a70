"""Hand acknowledged Slack requests to the core in order, retrying while the database is down.

Slack needs an answer within 3 seconds; the core (a database transaction, then sending) may take
longer or be unavailable. Requests are therefore acknowledged first and queued here; one worker
hands them to the core in arrival order. When the core raises `DatabaseUnavailable` (or a
SQLAlchemy error) the same job is retried with backoff, for as long as it takes, so an outage
loses nothing that was acknowledged while the process lives. Any other error is retried a few
times, then logged and dropped (a bug must not block every later event). When the queue is full
the HTTP route answers 503, so Slack redelivers the event later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.exc import SQLAlchemyError

from bot.storage.db import DatabaseUnavailable

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]
OUTAGE_ERRORS: tuple[type[Exception], ...] = (DatabaseUnavailable, SQLAlchemyError)
DEFAULT_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class Handoff:
    """An ordered in-memory queue of jobs with one worker and outage-aware retries."""

    def __init__(
        self,
        *,
        capacity: int = 10_000,
        retry_delays: Sequence[float] = DEFAULT_DELAYS,
        max_failures: int = 3,
    ) -> None:
        self.capacity = capacity
        self.retry_delays = tuple(retry_delays) or (1.0,)
        self.max_failures = max_failures
        self._queue: asyncio.Queue[Job] | None = None
        self._worker: asyncio.Task[None] | None = None
        self.outage = False
        self.dropped = 0

    @property
    def queue(self) -> asyncio.Queue[Job]:
        if self._queue is None:
            self._queue = asyncio.Queue(maxsize=self.capacity)
        return self._queue

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
        left = self.queue.qsize()
        if left:
            log.warning("stopping with %d slack request(s) not handed to the core", left)
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        self._worker = None

    async def _run(self) -> None:
        while True:
            job = await self.queue.get()
            try:
                await self._attempt(job)
            finally:
                self.queue.task_done()

    async def _attempt(self, job: Job) -> None:
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
                if failures >= self.max_failures:
                    self.dropped += 1
                    log.exception("a slack request failed %d times; dropping it", failures)
                    return
                log.warning("a slack request failed; retrying", exc_info=True)
                await asyncio.sleep(self.retry_delays[0])
                continue
            if self.outage:
                log.info("core available again")
            self.outage = False
            return
