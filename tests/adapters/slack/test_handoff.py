"""The hand-off worker yields to acks: core jobs wait while requests are arriving."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from adapters.slack.handoff import Handoff, Job
from tests.waiting import wait_until


class ManualClock:
    """A clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def handoff(clock: ManualClock) -> AsyncIterator[Handoff]:
    h = Handoff(retry_delays=(0.01,), busy_share=0.1, max_pause=30.0, quiet=0.5, clock=clock)
    h.start()
    yield h
    await h.stop(grace=1.0)


def costly_job(clock: ManualClock, done: list[str], name: str, *, cost: float) -> Job:
    async def job() -> None:
        clock.now += cost  # the job "spends" `cost` seconds of loop time
        done.append(name)

    return job


async def test_jobs_wait_while_a_request_is_being_acknowledged(
    handoff: Handoff, clock: ManualClock
) -> None:
    done: list[str] = []
    with handoff.acking():
        assert handoff.busy()
        handoff.offer(costly_job(clock, done, "first", cost=1.0))
        handoff.offer(costly_job(clock, done, "second", cost=1.0))
        await wait_until(lambda: done == ["first"])
        for _ in range(20):
            await asyncio.sleep(0)
        assert done == ["first"]  # owes 9 s of loop time to the ack path, clock stands still
    assert handoff.busy()  # an ack finished just now: more requests are probably queued
    clock.now += 1.0  # quiet for longer than `quiet`
    await asyncio.wait_for(handoff.join(), 2)
    assert done == ["first", "second"]
    assert not handoff.busy()


async def test_the_pause_ends_when_the_core_has_had_its_share(
    handoff: Handoff, clock: ManualClock
) -> None:
    done: list[str] = []
    with handoff.acking():
        handoff.offer(costly_job(clock, done, "first", cost=0.5))
        handoff.offer(costly_job(clock, done, "second", cost=0.5))
        await wait_until(lambda: done == ["first"])
        clock.now += 4.6  # more than 9 x 0.5 s later, still acking: the core gets its turn
        await wait_until(lambda: done == ["first", "second"])


async def test_jobs_run_back_to_back_when_no_request_is_arriving(
    handoff: Handoff, clock: ManualClock
) -> None:
    done: list[str] = []
    for name in ("a", "b", "c"):
        handoff.offer(costly_job(clock, done, name, cost=10.0))
    await asyncio.wait_for(handoff.join(), 2)
    assert done == ["a", "b", "c"]


async def requests_arrive(
    handoff: Handoff, clock: ManualClock, *, ack_share: float, until: Callable[[], bool]
) -> float:
    """Acknowledge a request every 20 ms of clock time, each taking `ack_share` of it.

    Stops when `until()` holds or after 12 s of clock time; returns the clock time that passed
    (jobs that ran meanwhile included: they move the clock too).
    """
    began = clock.now
    while not until() and clock.now - began < 12.0:
        started = clock.now
        handoff.in_flight += 1
        clock.now += 0.02 * ack_share
        handoff.acked(started)
        clock.now += 0.02 * (1 - ack_share)
        await asyncio.sleep(0.002)  # real time: the worker checks every `check` (1 ms here)
    return clock.now - began


async def second_job_after_requests(clock: ManualClock, *, ack_share: float) -> float:
    """Two 1 s jobs; once the first ran, requests arrive taking `ack_share` of the loop.

    Returns the clock time from the first job's end until the second job began.
    """
    handoff = Handoff(busy_share=0.1, max_pause=30.0, quiet=0.5, check=0.001, clock=clock)
    handoff.start()
    done: list[str] = []
    try:
        with handoff.acking():
            handoff.offer(costly_job(clock, done, "first", cost=1.0))
            handoff.offer(costly_job(clock, done, "second", cost=1.0))
            await wait_until(lambda: done == ["first"])
        assert handoff.busy()  # requests keep arriving
        passed = await requests_arrive(
            handoff, clock, ack_share=ack_share, until=lambda: len(done) == 2
        )
        assert done == ["first", "second"]
        assert handoff.ack_seconds > 0
    finally:
        await handoff.stop(grace=1.0)
    return passed - 1.0  # less the second job's own 1 s


async def test_a_trickle_of_requests_leaves_the_core_the_loops_spare_time(
    clock: ManualClock,
) -> None:
    # Acks use 5% of the loop: the core need not wait out its 9 s pause.
    assert await second_job_after_requests(clock, ack_share=0.05) < 0.5


async def test_a_saturating_stream_holds_the_core_to_its_share(clock: ManualClock) -> None:
    # Acks use 90% of the loop: the core gets its turn only after 9 s (its 10% share).
    assert 9.0 <= await second_job_after_requests(clock, ack_share=0.9) < 9.5


def test_busy_share_must_be_a_fraction() -> None:
    with pytest.raises(ValueError, match="busy_share"):
        Handoff(busy_share=0)


@pytest.mark.parametrize(
    ("option", "value"), [("saturated", -0.1), ("saturated", 1.5), ("check", 0.0)]
)
def test_pacing_options_are_checked(option: str, value: float) -> None:
    options: dict[str, Any] = {option: value}
    with pytest.raises(ValueError, match=option):
        Handoff(**options)
