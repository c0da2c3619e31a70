"""The engine forgets event keys older than a week, at most hourly (runtime, replay, benchmarks)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.storage.models import InboxEntry
from bot.timed_work import INBOX_KEEP, INBOX_PRUNE_EVERY
from tests.harness import Harness


async def _keys(h: Harness) -> int:
    async with h.engine.database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(InboxEntry)) or 0)


async def test_old_event_keys_are_forgotten_hourly(harness: Harness) -> None:
    h = harness
    await h.message("alice", "hello everyone")
    assert await h.engine.prune_inbox() == 0  # nothing is a week old
    assert await _keys(h) == 1
    h.clock.advance(INBOX_KEEP + timedelta(minutes=1))
    await h.message("bob", "morning")
    assert await h.engine.prune_inbox() == 1  # alice's key is older than a week
    assert await _keys(h) == 1
    h.clock.advance(INBOX_KEEP + timedelta(minutes=1))
    assert await h.engine.prune_inbox() == 1  # an hour and more passed: bob's goes too
    assert await _keys(h) == 0
    await h.message("carol", "hi")
    h.clock.advance(INBOX_PRUNE_EVERY / 2)
    assert await h.engine.prune_inbox() == 0  # within the hour: not even looked at
    assert await _keys(h) == 1
