"""Events queued one after another reach the core as one batch; failures never drop the others."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from aiohttp import web

from adapters.slack.adapter import SlackAdapter
from adapters.slack.handoff import Batched, Handoff
from bot.circle_config import CircleConfig
from bot.clock import SimulatedClock
from bot.engine import Engine
from bot.events import Event
from bot.rule import RuleRegistry
from bot.storage.db import Database, DatabaseUnavailable
from tests.adapters.slack.stack import BOT_TOKEN, SECRET, START
from tests.core.sample_rules import EchoRule
from tests.fakes import slack_payloads as p
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.slack_requests import event_request, post, serve

pytestmark = pytest.mark.usefixtures("slack_error_guard")


class Recorder:
    """A batch handler that records each batch and can fail on chosen items."""

    def __init__(self, *, bad: object = None, outages: int = 0) -> None:
        self.batches: list[list[Any]] = []
        self.bad = bad
        self.outages = outages

    async def __call__(self, items: list[Any]) -> None:
        if self.outages:
            self.outages -= 1
            raise DatabaseUnavailable("db down")
        if self.bad in items:
            raise ValueError(f"cannot handle {self.bad}")
        self.batches.append(list(items))


async def queued_while_held(handoff: Handoff, jobs: list[Any]) -> None:
    """Queue `jobs` behind a job that holds the worker, then let everything run."""
    release = asyncio.Event()

    async def hold() -> None:
        await release.wait()

    handoff.offer(hold)
    await asyncio.sleep(0.01)  # the worker has taken `hold`
    for job in jobs:
        assert handoff.offer(job)
    release.set()
    await asyncio.wait_for(handoff.join(), 5)


async def test_consecutive_items_of_one_handler_go_as_one_batch_in_order() -> None:
    handoff = Handoff(retry_delays=(0.01,), max_batch=3)
    handoff.start()
    first, second = Recorder(), Recorder()
    ran: list[str] = []

    async def plain() -> None:
        ran.append("plain")

    jobs: list[Any] = [Batched(n, first) for n in range(4)]
    jobs += [plain, Batched(4, first), Batched("x", second), Batched(5, first)]
    await queued_while_held(handoff, jobs)
    await handoff.stop()
    assert first.batches == [[0, 1, 2], [3], [4], [5]]  # max_batch; runs end at other jobs
    assert second.batches == [["x"]]
    assert ran == ["plain"]
    assert handoff.pending == 0


async def test_a_failing_batch_is_retried_item_by_item_and_drops_only_the_bad_item(
    slack_error_guard: Any,
) -> None:
    slack_error_guard.allow("failed")
    handoff = Handoff(retry_delays=(0.01,), max_failures=2)
    handoff.start()
    handler = Recorder(bad=2)
    await queued_while_held(handoff, [Batched(n, handler) for n in range(4)])
    await handoff.stop()
    assert handler.batches == [[0], [1], [3]]
    assert handoff.dropped == 1


async def test_an_outage_retries_the_whole_batch() -> None:
    handoff = Handoff(retry_delays=(0.01,))
    handoff.start()
    handler = Recorder(outages=2)
    await queued_while_held(handoff, [Batched(n, handler) for n in range(3)])
    await handoff.stop()
    assert handler.batches == [[0, 1, 2]]
    assert handoff.dropped == 0


async def test_batches_stay_small_while_requests_are_arriving() -> None:
    handoff = Handoff(retry_delays=(0.01,), max_batch=10, busy_batch=2, busy_share=1.0)
    handoff.start()
    handler = Recorder()
    with handoff.acking():
        await queued_while_held(handoff, [Batched(n, handler) for n in range(5)])
    await handoff.stop()
    assert handler.batches == [[0, 1], [2, 3], [4]]


def test_batch_sizes_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        Handoff(max_batch=0)
    with pytest.raises(ValueError, match="busy_batch"):
        Handoff(busy_batch=0)


async def test_a_burst_of_events_reaches_the_engine_in_one_transaction(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeSlackAPI() as api:
        api.workspace.add_channel("C0GENERAL1", name="general", members=["U0ALICE001"])
        api.workspace.add_user("U0ALICE001", name="alice")
        database = Database(sqlite_url)
        await database.upgrade()
        config = CircleConfig.from_text("", RuleRegistry([EchoRule]), source="test")
        engine = Engine(database=database, config=config, clock=SimulatedClock(START))
        batches: list[list[Event]] = []
        handle_batch = engine.handle_batch

        async def spy(events: Any, **kwargs: Any) -> int:
            batches.append(list(events))
            return await handle_batch(events, **kwargs)

        monkeypatch.setattr(engine, "handle_batch", spy)
        http_app = web.Application()
        adapter = SlackAdapter(
            bot_token=BOT_TOKEN,
            signing_secret=SECRET,
            api_url=api.base_url,
            http_app=http_app,
            handoff=Handoff(retry_delays=(0.01,)),
        )
        engine.attach(adapter)
        task = asyncio.create_task(adapter.start(engine.handle))
        release = asyncio.Event()

        async def hold() -> None:
            await release.wait()

        try:
            async with serve(http_app) as url:
                await api.wait_for("auth.test")
                adapter.handoff.offer(hold)
                texts = ["ping", "hello", "ping"]
                for text in texts:
                    resp = await post(
                        url, event_request(p.message(text=text), signing_secret=SECRET)
                    )
                    assert resp.status == 200
                release.set()
                await asyncio.wait_for(adapter.handoff.join(), 5)
                await engine.outbox.drain()
        finally:
            await adapter.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await database.dispose()
    assert [len(batch) for batch in batches] == [3]  # one transaction for the burst
    assert [e.user_name for e in batches[0]] == ["alice"] * 3  # enriched before the core
    assert [c.args["text"] for c in api.calls_to("chat.postMessage")] == ["pong", "pong"]
