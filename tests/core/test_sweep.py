"""The deadline sweep: claimed deadlines run a group to a transaction, isolated from each other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.actions import Action, Post
from bot.context import DueItem, RuleContext
from bot.engine import DEADLINE_GROUP
from bot.rule import Rule, RuleRegistry
from bot.storage import repos
from bot.storage.models import Deadline
from tests.harness import Harness, texts


class DueRule(Rule):
    """Posts each deadline's key and sets a follow-up; keys starting with `bad` raise."""

    name = "due"

    async def on_due(self, item: DueItem, ctx: RuleContext) -> list[Action]:
        await ctx.deadlines.set(f"after:{item.key}", ctx.now + timedelta(days=1))
        if item.key.startswith("bad"):
            raise RuntimeError("this deadline's rule is broken on purpose")
        return [Post(community=item.community, channel="general", text=f"due {item.key}")]


@pytest.fixture
async def h(database_url: str) -> AsyncIterator[Harness]:
    harness = await Harness.create(database_url, registry=RuleRegistry([DueRule]))
    yield harness
    await harness.close()


async def set_due(h: Harness, keys: list[str]) -> None:
    async with h.engine.database.session() as session:
        deadlines = repos.Deadlines(session, community=h.community, rule="due")
        for index, key in enumerate(keys):
            await deadlines.set(key, h.clock.now() - timedelta(minutes=1, seconds=-index))


async def stored(h: Harness) -> dict[str, str | None]:
    """Every stored deadline's key and the replica that holds its claim."""
    async with h.engine.database.session() as session:
        rows = (await session.execute(select(Deadline.key, Deadline.claimed_by))).all()
    return {key: claimed_by for key, claimed_by in rows}


async def test_deadlines_of_several_groups_all_run_once_in_due_order(h: Harness) -> None:
    keys = [f"k{n:03d}" for n in range(2 * DEADLINE_GROUP + 3)]
    await set_due(h, keys)
    assert await h.engine.sweep(limit=DEADLINE_GROUP + 1) == len(keys)  # several claims too
    assert texts(h.sent) == [f"due {key}" for key in keys]
    assert await stored(h) == {f"after:{key}": None for key in keys}
    assert await h.engine.sweep() == 0


async def test_a_failing_rule_loses_nothing_of_the_other_deadlines_in_its_group(
    h: Harness,
) -> None:
    keys = [f"k{n:03d}" for n in range(DEADLINE_GROUP)]
    keys.insert(3, "bad")
    await set_due(h, keys)
    ran = await h.engine.sweep()
    good = [key for key in keys if key != "bad"]
    assert ran == len(good)
    assert texts(h.sent) == [f"due {key}" for key in good]
    left = await stored(h)
    assert left.pop("bad") == h.engine.replica  # still claimed: retried after its lease
    assert left == {f"after:{key}": None for key in good}  # the failed one's work rolled back

    assert await h.engine.sweep() == 0  # within the lease nobody takes it again
    h.clock.advance(h.engine.deadline_lease + timedelta(seconds=1))
    assert await h.engine.sweep() == 0  # retaken after the lease, and failing again
    assert "bad" in await stored(h) and "after:bad" not in await stored(h)


async def test_a_deadline_reclaimed_by_another_replica_runs_there_only(h: Harness) -> None:
    await set_due(h, ["a", "b"])
    lease = timedelta(seconds=60)
    now = h.clock.now()
    async with h.engine.database.session() as session:
        first = await repos.claim_due_deadlines(
            session, now=now, replica="r1", lease=lease, limit=10
        )
    later = now + lease + timedelta(seconds=1)  # r1 stalled past its lease; r2 takes over
    async with h.engine.database.session() as session:
        second = await repos.claim_due_deadlines(
            session, now=later, replica="r2", lease=lease, limit=10
        )
    assert sorted(first) == sorted(second)
    async with h.engine.database.session() as session:
        assert await repos.take_claimed_deadlines(session, first, replica="r1") == []
        taken = await repos.take_claimed_deadlines(session, list(reversed(second)), replica="r2")
    assert [row.key for row in taken] == ["a", "b"]  # in due order, whatever the ids' order
    assert await stored(h) == {}
