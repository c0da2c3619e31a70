"""The outbox sender: claims return their rows, stale claims are renewed, lost ones never sent."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

import bot.outbox as outbox
from bot.actions import Action, ActionResult, Post
from bot.adapter import Capabilities, TransientError
from bot.circle_config import CircleConfig
from bot.clock import SimulatedClock
from bot.outbox import RENEW_FRACTION, OutboxSender, enqueue, enqueue_many
from bot.rule import RuleRegistry
from bot.storage.db import Database
from bot.storage.models import OutboxEntry

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)
Hook = Callable[[Action], Awaitable[None]]


class ScriptedAdapter:
    """Records what it sends; `before` runs inside each send (to move clocks, check claims)."""

    platform = "test"
    capabilities = Capabilities()

    def __init__(self, before: Hook | None = None) -> None:
        self.sent: list[str] = []
        self.before = before

    async def start(self, sink: Any) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def execute(self, action: Action) -> ActionResult:
        if self.before is not None:
            await self.before(action)
        assert isinstance(action, Post)
        self.sent.append(action.text)
        return ActionResult(message_id=f"m-{action.text}")


def sender(
    database: Database,
    clock: SimulatedClock,
    adapter: ScriptedAdapter,
    replica: str = "a",
    kind: type[OutboxSender] = OutboxSender,
    **options: Any,
) -> OutboxSender:
    return kind(
        database=database,
        clock=clock,
        config=CircleConfig.from_text("", RuleRegistry([]), source="test"),
        adapters={"test": adapter},
        replica=replica,
        lease=LEASE,
        **options,
    )


def post(text: str, tag: str | None = None) -> Post:
    return Post(community="test:c", channel="general", text=text, tag=tag)


async def store(database: Database, *texts: str, tag: str | None = None) -> None:
    async with database.session() as session:
        await enqueue_many(session, [(f"k:{t}", "r", post(t, tag), START) for t in texts])


async def rows(database: Database) -> dict[str, OutboxEntry]:
    async with database.session() as session:
        found = (await session.scalars(select(OutboxEntry))).all()
    return {row.key: row for row in found}


async def test_enqueue_is_idempotent_and_drain_sends_in_order_once(database: Database) -> None:
    clock = SimulatedClock(START)
    async with database.session() as session:
        assert await enqueue(session, key="k:1", rule="r", action=post("1"), now=START)
        assert not await enqueue(session, key="k:1", rule="r", action=post("other"), now=START)
        await enqueue_many(
            session, [("k:1", "r", post("x"), START), ("k:2", None, post("2"), START)]
        )
    adapter = ScriptedAdapter()
    assert await sender(database, clock, adapter).drain(limit=1) == 2  # two batches of one
    assert adapter.sent == ["1", "2"]
    stored = await rows(database)
    assert {k: (r.status, r.claimed_by, r.result) for k, r in stored.items()} == {
        "k:1": ("sent", None, {"message_id": "m-1", "channel": None, "detail": None}),
        "k:2": ("sent", None, {"message_id": "m-2", "channel": None, "detail": None}),
    }
    assert stored["k:1"].sent_at == START and stored["k:2"].rule is None
    assert await sender(database, clock, adapter).drain() == 0  # never sent again


async def test_every_send_starts_with_most_of_a_lease_left(database: Database) -> None:
    """Each send takes 20s of a 60s lease: the claim is renewed before it gets too old."""
    clock = SimulatedClock(START)
    left: list[timedelta] = []

    async def slow(action: Action) -> None:
        async with database.session() as session:
            until = await session.scalar(
                select(OutboxEntry.claimed_until).where(OutboxEntry.key == f"k:{action.text}")
            )
        assert until is not None
        left.append(until - clock.now())
        clock.advance(timedelta(seconds=20))

    adapter = ScriptedAdapter(slow)
    await store(database, *"12345")
    assert await sender(database, clock, adapter).drain() == 5
    assert adapter.sent == list("12345")
    assert min(left) >= LEASE * (1 - RENEW_FRACTION)


async def test_a_claim_taken_over_by_another_replica_is_not_sent_twice(database: Database) -> None:
    """Replica a stalls past its lease after one send; b takes the rest; a must skip them.

    The stall comes once a's first send is marked sent (with its `on_sent`, in that transaction),
    before a looks at the next row: a stall before the mark is the crash window in which b
    rightly sends that row again.
    """
    clock = SimulatedClock(START)
    first = ScriptedAdapter()
    second = ScriptedAdapter()
    b = sender(database, clock, second, replica="b")
    followed: list[str] = []

    async def follow_up(row: OutboxEntry, *_: Any) -> None:
        followed.append(row.key)

    class StallsAfterOneSend(OutboxSender):
        async def _send_one(self, row: Any) -> int:
            sent = await super()._send_one(row)
            if first.sent == ["1"] and not second.sent:
                clock.advance(LEASE + timedelta(seconds=1))  # a's claims on the rest ran out
                assert await b.drain() == 3
            return sent

    a = sender(database, clock, first, replica="a", on_sent=follow_up, kind=StallsAfterOneSend)
    await store(database, *"1234", tag="t")
    assert await a.drain() == 1
    shared = [("a", t) for t in first.sent] + [("b", t) for t in second.sent]
    assert sorted(shared) == [("a", "1"), ("b", "2"), ("b", "3"), ("b", "4")]
    assert {r.status for r in (await rows(database)).values()} == {"sent"}
    assert followed == ["k:1"]


async def test_a_pause_on_real_time_alone_makes_the_claim_be_renewed(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine clock stands still but the process was paused: the monotonic clock tells."""
    clock = SimulatedClock(START)
    real = outbox.monotonic
    paused = [0.0]
    monkeypatch.setattr(outbox, "monotonic", lambda: real() + paused[0])

    async def pause_and_lose_the_rest(action: Action) -> None:
        if action.text == "1":
            paused[0] = LEASE.total_seconds()
            async with database.session() as session:  # another replica (clock ahead) took them
                await session.execute(
                    update(OutboxEntry).where(OutboxEntry.key != "k:1").values(claimed_by="b")
                )

    adapter = ScriptedAdapter(pause_and_lose_the_rest)
    await store(database, *"123")
    assert await sender(database, clock, adapter).drain() == 1
    assert adapter.sent == ["1"]
    stored = await rows(database)
    assert [(stored[k].status, stored[k].claimed_by) for k in ("k:2", "k:3")] == [
        ("pending", "b"),
        ("pending", "b"),
    ]


async def test_release_waits_for_a_running_drain(database: Database) -> None:
    clock = SimulatedClock(START)
    go = asyncio.Event()
    sending = asyncio.Event()

    async def block(action: Action) -> None:
        sending.set()
        await go.wait()

    adapter = ScriptedAdapter(block)
    await store(database, "1", "2")
    a = sender(database, clock, adapter)
    drain = asyncio.create_task(a.drain())
    await sending.wait()
    release = asyncio.create_task(a.release())
    await asyncio.sleep(0.05)
    assert not release.done()  # handing claims back mid-batch could let another replica send
    go.set()
    assert await drain == 2
    await release
    assert adapter.sent == ["1", "2"]


async def test_unreadable_and_unroutable_actions_are_kept_and_retried(database: Database) -> None:
    clock = SimulatedClock(START)
    await store(database, "1")
    async with database.session() as session:
        await session.execute(
            update(OutboxEntry).where(OutboxEntry.key == "k:1").values(payload={"kind": "nope"})
        )
        await enqueue(
            session,
            key="k:elsewhere",
            rule=None,
            action=Post(community="other:c", channel="g", text="x"),
            now=START,
        )
    await store(database, "2")
    adapter = ScriptedAdapter()
    a = sender(database, clock, adapter, max_attempts=2)
    assert await a.drain() == 1
    assert adapter.sent == ["2"]  # a bad row does not hold up the others
    stored = await rows(database)
    assert stored["k:1"].status == "pending" and stored["k:1"].attempts == 1
    assert "unreadable action" in (stored["k:1"].last_error or "")
    assert stored["k:1"].next_attempt_at == START + timedelta(seconds=1)
    assert stored["k:elsewhere"].last_error == "no adapter for other"
    assert stored["k:elsewhere"].claimed_by is None
    clock.advance(timedelta(seconds=5))
    assert await a.drain() == 0
    stored = await rows(database)
    assert (stored["k:1"].status, stored["k:1"].attempts) == ("failed", 2)  # gave up, kept
    assert (stored["k:elsewhere"].status, stored["k:elsewhere"].attempts) == ("pending", 2)


async def test_transient_failures_back_off_by_retry_after(database: Database) -> None:
    clock = SimulatedClock(START)
    failures = [TransientError("slow down", retry_after=30)]

    async def flaky(action: Action) -> None:
        if failures:
            raise failures.pop()

    adapter = ScriptedAdapter(flaky)
    await store(database, "1")
    a = sender(database, clock, adapter)
    assert await a.drain() == 0
    stored = (await rows(database))["k:1"]
    assert (stored.attempts, stored.next_attempt_at) == (1, START + timedelta(seconds=30))
    assert (stored.claimed_by, stored.last_error) == (None, "slow down")
    clock.advance(timedelta(seconds=29))
    assert await a.drain() == 0
    clock.advance(timedelta(seconds=1))
    assert await a.drain() == 1 and adapter.sent == ["1"]
