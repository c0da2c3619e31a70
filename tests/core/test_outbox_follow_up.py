"""A sent action's `on_sent` follow-up: one transaction with its sent mark, never a resend."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import pytest
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import Action, ActionResult, Post
from bot.clock import SimulatedClock
from bot.context import RuleContext
from bot.events import Event, MessagePosted
from bot.outbox import enqueue
from bot.outbox_store import OUT, OUTBOX
from bot.rule import Rule, RuleRegistry
from bot.storage.db import Database
from bot.storage.deferred_writes import defer
from bot.storage.fast import FastStatement, hold
from bot.storage.hooks import after_commit, before_commit
from bot.storage.models import Deadline, OutboxEntry
from bot.storage.repos import Deadlines
from tests.core.test_outbox import LEASE, START, ScriptedAdapter, rows, sender, store
from tests.harness import Harness

FollowUp = Callable[[OutboxEntry, Action, ActionResult, AsyncSession], Awaitable[None]]
NOTE = FastStatement(update(OUTBOX).where(OUT.key == bindparam("k")).values(last_error="noted"))


def text_of(action: Action) -> str:
    assert isinstance(action, Post)
    return action.text


async def status_elsewhere(database: Database, key: str) -> str | None:
    """The row's committed status, read on another connection."""
    async with database.session() as other:
        return await other.scalar(select(OutboxEntry.status).where(OutboxEntry.key == key))


async def note(session: AsyncSession, text: str) -> None:
    """A follow-up's own write: one more outbox row."""
    later = Post(community="test:c", channel="general", text=f"after {text}")
    await enqueue(session, key=f"after:{text}", rule="r", action=later, now=START + LEASE)


async def drain(database: Database, on_sent: FollowUp) -> tuple[int, ScriptedAdapter]:
    adapter = ScriptedAdapter()
    sent = await sender(database, SimulatedClock(START), adapter, on_sent=on_sent).drain()
    return sent, adapter


async def test_a_follow_up_commits_with_its_sent_mark(database: Database) -> None:
    seen: list[tuple[str, str | None, str | None]] = []

    async def follow_up(
        row: OutboxEntry, action: Action, result: ActionResult, session: AsyncSession
    ) -> None:
        mine = await session.scalar(select(OutboxEntry.status).where(OutboxEntry.key == row.key))
        seen.append((row.key, mine, await status_elsewhere(database, row.key)))
        assert result.message_id == f"m-{text_of(action)}"
        await note(session, text_of(action))

    await store(database, "1", "2", tag="t")
    await store(database, "plain")  # untagged: no follow-up
    sent, adapter = await drain(database, follow_up)
    assert sent == 3 and adapter.sent == ["1", "2", "plain"]
    # the follow-up sees its mark, uncommitted: both commit together
    assert seen == [("k:1", "sent", "pending"), ("k:2", "sent", "pending")]
    stored = await rows(database)
    assert {key: row.status for key, row in stored.items()} == {
        "k:1": "sent",
        "k:2": "sent",
        "k:plain": "sent",
        "after:1": "pending",
        "after:2": "pending",
    }


async def test_a_failing_follow_up_leaves_the_action_sent_and_never_resends_it(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    async def follow_up(
        row: OutboxEntry, action: Action, result: ActionResult, session: AsyncSession
    ) -> None:
        await note(session, text_of(action))
        before_commit(session, "test", lambda s: note(s, "hook"))
        after_commit(session, "test", lambda: ran.append(row.key))
        session.info["test.cache"] = row.key
        if text_of(action) == "1":
            raise RuntimeError("follow-up broke")

    ran: list[str] = []
    await store(database, "1", "2", tag="t")
    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        sent, adapter = await drain(database, follow_up)
    assert sent == 2 and adapter.sent == ["1", "2"]  # the drain carried on
    assert "k:1 was sent but its follow-up failed" in caplog.text
    stored = await rows(database)
    assert (stored["k:1"].status, stored["k:1"].claimed_by) == ("sent", None)
    assert stored["k:1"].result == {"message_id": "m-1", "channel": None, "detail": None}
    assert "after:1" not in stored  # the failed follow-up's writes were rolled back
    assert stored["after:2"].status == "pending" and stored["after:hook"].status == "pending"
    assert ran == ["k:2"]  # after-commit work of the rolled-back follow-up never runs
    clock = SimulatedClock(START + LEASE * 2)
    again = ScriptedAdapter()
    assert await sender(database, clock, again).drain() == 2  # only the two follow-up posts
    assert again.sent == ["after 2", "after hook"]


async def test_a_follow_ups_hooks_and_deferred_writes_run_in_its_transaction(
    database: Database,
) -> None:
    order: list[str] = []

    async def follow_up(
        row: OutboxEntry, action: Action, result: ActionResult, session: AsyncSession
    ) -> None:
        async def last_word(s: AsyncSession) -> None:
            order.append(f"before {row.key}: {await status_elsewhere(database, row.key)}")
            await note(s, f"hook {text_of(action)}")

        defer(session, NOTE, {"k": row.key})
        before_commit(session, "test", last_word)
        after_commit(session, "test", lambda: order.append(f"after {row.key}"))

    await store(database, "1", "2", tag="t")
    sent, _ = await drain(database, follow_up)
    assert sent == 2
    assert order == ["before k:1: pending", "after k:1", "before k:2: pending", "after k:2"]
    stored = await rows(database)
    assert [stored[k].last_error for k in ("k:1", "k:2")] == ["noted", "noted"]  # deferred
    assert {stored[k].status for k in ("after:hook 1", "after:hook 2")} == {"pending"}


async def test_nothing_of_one_follow_up_is_left_for_the_next(database: Database) -> None:
    loaded: list[OutboxEntry] = []
    left: list[tuple[int, str | None]] = []

    async def follow_up(
        row: OutboxEntry, action: Action, result: ActionResult, session: AsyncSession
    ) -> None:
        left.append((len(session.sync_session.identity_map), session.info.get("test.cache")))
        found = await session.scalar(select(OutboxEntry).where(OutboxEntry.key == row.key))
        assert found is not None
        hold(session, found)
        loaded.append(found)
        session.info["test.cache"] = row.key
        if text_of(action) == "2":
            raise RuntimeError("follow-up broke")

    await store(database, "1", "2", "3", tag="t")
    sent, _ = await drain(database, follow_up)
    assert sent == 3
    assert left == [(0, None), (0, None), (0, None)]  # committed or not, nothing carried
    # what a committed follow-up loaded keeps its values (no expiry on commit), detached
    assert [(row.key, row.status) for row in (loaded[0], loaded[2])] == [
        ("k:1", "sent"),
        ("k:3", "sent"),
    ]


async def test_a_conflict_in_a_follow_up_retries_the_mark_with_it(database: Database) -> None:
    class Conflict(Exception):
        sqlstate = "40001"

    tries: list[str] = []

    async def follow_up(
        row: OutboxEntry, action: Action, result: ActionResult, session: AsyncSession
    ) -> None:
        tries.append(row.key)
        await note(session, f"{text_of(action)} try {len(tries)}")
        if len(tries) == 1:
            raise OperationalError("UPDATE ...", {}, Conflict("could not serialize access"))

    await store(database, "1", tag="t")
    sent, adapter = await drain(database, follow_up)
    assert sent == 1 and adapter.sent == ["1"] and tries == ["k:1", "k:1"]
    stored = await rows(database)
    assert "after:1 try 1" not in stored and stored["after:1 try 2"].status == "pending"
    assert stored["k:1"].status == "sent"


async def test_an_untagged_action_has_no_follow_up(database: Database) -> None:
    called: list[str] = []

    async def follow_up(row: OutboxEntry, *_: Any) -> None:
        called.append(row.key)

    await store(database, "1")
    assert (await drain(database, follow_up))[0] == 1
    assert called == []
    assert (await rows(database))["k:1"].sent_at == START


async def statuses(session: AsyncSession, rule: str) -> list[str]:
    found = await session.scalars(
        select(OutboxEntry.status).where(OutboxEntry.rule == rule).order_by(OutboxEntry.id)
    )
    return list(found)


class TaggingRule(Rule):
    """Posts a tagged notice for each message; learns its message id in `on_sent`."""

    name = "tagging"
    handles = (MessagePosted,)
    seen: ClassVar[list[tuple[list[str], list[str], str | None, object]]] = []
    database: ClassVar[Database]

    async def on_event(self, event: Event, ctx: RuleContext) -> list[Action]:
        assert isinstance(event, MessagePosted)
        tag = f"notice:{event.message_id}"
        return [Post(community=event.community, channel="mods", text=event.text, tag=tag)]

    async def on_sent(self, action: Action, result: ActionResult, ctx: RuleContext) -> None:
        async with TaggingRule.database.session() as other:
            committed = await statuses(other, self.name)
        mine = await statuses(ctx.session, self.name)
        TaggingRule.seen.append((mine, committed, result.message_id, ctx.session.info.get("t")))
        ctx.session.info["t"] = action.tag
        ctx.session.info[Deadlines.DEFER_SETS] = True  # the deadline is a deferred write
        await ctx.deadlines.set(f"{action.tag}", ctx.now, {"message": result.message_id})


async def test_the_engine_runs_a_rules_on_sent_in_the_marks_transaction(
    database_url: str,
) -> None:
    TaggingRule.seen.clear()
    h = await Harness.create(database_url, registry=RuleRegistry([TaggingRule]))
    TaggingRule.database = h.engine.database
    events = [
        MessagePosted(
            platform="test",
            event_id=f"e{n}",
            community=h.community,
            at=h.clock.now(),
            user="alice",
            channel="general",
            message_id=f"m{n}",
            text=f"text {n}",
        )
        for n in (1, 2)
    ]
    assert await h.engine.handle_batch(events) == 2  # one drain sends both notices
    assert [action.tag for action in h.sent] == ["notice:m1", "notice:m2"]
    # each on_sent sees its own mark, not yet committed, and nothing of the one before
    assert TaggingRule.seen == [
        (["sent", "pending"], ["pending", "pending"], "bot1", None),
        (["sent", "sent"], ["sent", "pending"], "bot2", None),
    ]
    async with h.engine.database.session() as session:
        found = (await session.execute(select(Deadline.key, Deadline.payload))).all()
    assert sorted(found) == [
        ("notice:m1", {"message": "bot1"}),
        ("notice:m2", {"message": "bot2"}),
    ]
    await h.close()
