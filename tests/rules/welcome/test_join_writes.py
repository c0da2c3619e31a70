"""A join writes the newcomer's row once (with how they were welcomed); the burst count still
counts each member once, whether their earlier join is inside the burst window or not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.actions import Post
from bot.storage.fast import FastStatement
from rules.welcome import store
from rules.welcome.models import Newcomer
from tests.harness import Harness
from tests.rules.welcome.conftest import MakeHarness

CONFIG = """
community:
  moderators_channel: mods
  intro_channel: intro
  welcome_channel: welcome
welcome:
  burst_threshold: 1
  burst_window: 1m
  rewelcome_after: 10s
"""


def _posts(h: Harness, channel: str) -> list[Post]:
    return [a for a in h.sent if isinstance(a, Post) and a.channel == channel]


async def _row(h: Harness, user: str) -> Newcomer:
    async with h.engine.database.session() as session:
        found = await session.scalar(select(Newcomer).where(Newcomer.user_id == user))
        assert found is not None
        return found


async def test_a_rejoin_inside_the_window_is_counted_once(
    make: MakeHarness, database_url: str
) -> None:
    h = await make(database_url, CONFIG)
    await h.join("ann")
    await h.advance("20s")
    await h.join("ann")  # past `rewelcome_after`, her first join still inside the window
    assert len(_posts(h, "welcome")) == 2 and _posts(h, "mods") == []
    await h.advance("5s")
    await h.join("bob")  # two members within the window: more than the threshold
    assert len(_posts(h, "welcome")) == 2
    assert (await _row(h, "bob")).burst_pending is True
    await h.advance("2m")
    assert "<@bob>" in _posts(h, "welcome")[-1].text and len(_posts(h, "mods")) == 1


async def test_a_rejoin_after_the_window_is_counted_again(
    make: MakeHarness, database_url: str
) -> None:
    h = await make(database_url, CONFIG)
    await h.join("ann")
    await h.advance("2m")
    await h.join("ann")  # her first join left the window: this one counts, alone
    assert len(_posts(h, "welcome")) == 2
    ann = await _row(h, "ann")
    assert (ann.welcome_kind, ann.burst_pending) == ("individual", False)
    assert ann.welcomed_at == ann.last_joined_at == h.clock.now()
    await h.join("bob")
    assert (await _row(h, "bob")).burst_pending is True


@pytest.fixture
def newcomer_writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The INSERT or UPDATE of each fast statement writing welcome_newcomers."""
    seen: list[str] = []
    rows, execute = FastStatement.rows, FastStatement.execute

    def note(statement: FastStatement, session: Any) -> None:
        sql = str(statement.statement(session)).lstrip()
        if "welcome_newcomers" in sql and sql.startswith(("INSERT", "UPDATE")):
            seen.append(sql.split()[0])

    async def spy_rows(self: FastStatement, session: Any, params: Any) -> Any:
        note(self, session)
        return await rows(self, session, params)

    async def spy_execute(self: FastStatement, session: Any, params: Any) -> Any:
        note(self, session)
        return await execute(self, session, params)

    monkeypatch.setattr(FastStatement, "rows", spy_rows)
    monkeypatch.setattr(FastStatement, "execute", spy_execute)
    yield seen


async def test_each_join_and_a_late_introduction_write_the_row_once(
    make: MakeHarness, database_url: str, newcomer_writes: list[str]
) -> None:
    h = await make(database_url, CONFIG)
    await h.join("ann")  # welcomed alone
    assert newcomer_writes == ["INSERT"]
    await h.advance("20s")
    await h.join("ann")  # welcomed again
    await h.join("ann")  # already welcomed: the join itself
    await h.join("bob")  # a burst
    assert newcomer_writes == ["INSERT", "UPDATE", "UPDATE", "INSERT"]
    bob = await _row(h, "bob")
    assert (bob.burst_pending, bob.welcomed_at, bob.welcome_kind) == (True, None, None)
    async with h.engine.database.session() as session:
        await store.forget_member(session, h.community, "ann")
    newcomer_writes.clear()
    await h.message("ann", "Hi, I'm Ann!", channel="intro")  # she joined; her row is gone
    assert newcomer_writes == ["INSERT"]
    ann = await _row(h, "ann")
    assert (ann.intro_channel, ann.intro_excerpt) == ("intro", "Hi, I'm Ann!")
    assert ann.welcomed_at is None
    assert ann.introduced_at == h.clock.now() and ann.burst_pending is False
