"""Privacy: the daily purge of old text through each store's contract, and `forget <member>`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Text, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import Action, DirectMessage
from bot.context import RuleContext
from bot.events import Event, MessagePosted
from bot.rule import Rule, RuleRegistry
from bot.storage.models import Member, OutboxEntry
from rules.privacy import Privacy, contract_stores
from tests.core.sample_rules import EchoRule
from tests.harness import Harness

MODS = "community:\n  moderators:\n    users: [mod]\n"


class SpyStore:
    """Stands in for a rule's store module: records the contract calls it gets."""

    def __init__(self, name: str, erased: int = 2) -> None:
        self.__name__ = f"rules.{name}.store"
        self.purged: list[tuple[str, datetime]] = []
        self.forgotten: list[tuple[str, str]] = []
        self.erased = erased

    async def purge_text(self, session: AsyncSession, community: str, *, before: datetime) -> int:
        self.purged.append((community, before))
        return 1

    async def forget_member(self, session: AsyncSession, community: str, user: str) -> int:
        self.forgotten.append((community, user))
        return self.erased


class WelcomeDM(Rule):
    """DMs whoever says hello (a stored action that addresses a member)."""

    name = "hello"
    handles = (MessagePosted,)

    async def on_event(self, event: Event, ctx: RuleContext) -> list[Action]:
        assert isinstance(event, MessagePosted)
        if event.text != "hello":
            return []
        return [DirectMessage(community=ctx.community, user=event.user, text="welcome!")]


def spied(stores: Sequence[Any]) -> type[Privacy]:
    class SpiedPrivacy(Privacy):
        def stores(self) -> Sequence[Any]:
            return stores

    return SpiedPrivacy


async def outbox_rows(h: Harness, needle: str | None = None) -> int:
    async with h.engine.database.session() as session:
        query = select(func.count()).select_from(OutboxEntry)
        if needle is not None:
            query = query.where(cast(OutboxEntry.payload, Text).contains(needle))
        return int(await session.scalar(query) or 0)


async def member(h: Harness, user: str) -> Member | None:
    async with h.engine.database.session() as session:
        return await session.get(Member, (h.community, user))


async def test_daily_purge_calls_every_store_after_the_retention_period(
    database_url: str,
) -> None:
    questions, welcome = SpyStore("questions"), SpyStore("welcome")
    registry = RuleRegistry([EchoRule, spied([questions, welcome])])
    h = await Harness.create(database_url, "privacy:\n  retention: 7d\n", registry=registry)
    start = h.clock.now()  # Monday 09:00 UTC
    await h.message("alice", "ping")
    assert await outbox_rows(h, '"pong"') == 1
    await h.advance("7d")
    fires = [before + timedelta(days=7) for _, before in questions.purged]
    assert fires == [start.replace(hour=3, minute=30) + timedelta(days=d) for d in range(1, 8)]
    assert welcome.purged == questions.purged
    assert {community for community, _ in questions.purged} == {h.community}
    assert await outbox_rows(h, '"pong"') == 1  # sent 6.8 days before the last purge: kept
    await h.advance("1d")
    assert await outbox_rows(h, '"pong"') == 0  # the sent text is gone ...
    kept = await member(h, "alice")
    assert kept is not None and kept.message_count == 1  # ... the counts stay
    await h.close()


async def test_forget_asks_for_confirmation_then_erases_through_every_store(
    database_url: str,
) -> None:
    questions, prompts = SpyStore("questions", erased=3), SpyStore("prompts", erased=0)
    registry = RuleRegistry([EchoRule, WelcomeDM, spied([questions, prompts])])
    h = await Harness.create(database_url, MODS, registry=registry)
    await h.message("alice", "hello")
    await h.message("alice", "ping")
    await h.message("bob", "hello")
    assert await outbox_rows(h, '"alice"') == 1  # the DM to alice

    (ask,) = await h.command("mod", "forget <@alice|alice>")
    assert "cannot be undone" in ask.text and [b.command for b in ask.buttons] == [
        "forget alice confirm"
    ]
    assert questions.forgotten == []  # nothing happens before the confirmation
    (done,) = await h.press("mod", ask.buttons[0].command)
    # 3 + 0 from the stores, the name, the DM and the confirmation prompt naming alice
    assert done.text.startswith("Done: I erased 6 stored record(s)")
    assert "alice" not in done.text
    assert questions.forgotten == prompts.forgotten == [(h.community, "alice")]
    alice, bob = await member(h, "alice"), await member(h, "bob")
    assert alice is not None and alice.name is None and alice.message_count == 2
    assert bob is not None and bob.name == "bob"
    assert await outbox_rows(h, '"alice"') == 0
    assert await outbox_rows(h, '"bob"') == 1
    await h.close()


@pytest.mark.parametrize(
    ("user", "text", "expected"),
    [
        ("alice", "forget bob", "for the circle's moderators"),
        ("mod", "forget", "Usage: `/circle forget <member>`"),
        ("mod", "forget nobody", "I don't know a member 'nobody'"),
        ("mod", "forget @bob", "<@bob>"),
        ("mod", "forget <@!bob>", "<@bob>"),
    ],
)
async def test_forget_arguments_and_permissions(
    sqlite_url: str, user: str, text: str, expected: str
) -> None:
    registry = RuleRegistry([EchoRule, spied([])])
    h = await Harness.create(sqlite_url, MODS, registry=registry)
    await h.message("bob", "ping")
    (reply,) = await h.command(user, text)
    assert expected in reply.text
    await h.close()


async def test_forget_with_the_shipped_rules_erases_a_question(sqlite_url: str) -> None:
    store = pytest.importorskip("rules.questions.store")
    h = await Harness.create(sqlite_url, MODS)
    question = "How do I mount an external USB drive on Ubuntu 24.04?"
    await h.message("alice", question)
    async with h.engine.database.session() as session:
        before = await store.open_questions(session, h.community, now=h.clock.now())
    assert [q.asker for q in before] == ["alice"] and "USB drive" in before[0].excerpt
    (done,) = await h.press("mod", "forget alice confirm")
    assert done.text.startswith("Done")
    async with h.engine.database.session() as session:
        after = await store.open_questions(session, h.community, now=h.clock.now())
    assert len(after) == 1 and after[0].asker != "alice" and "USB" not in after[0].excerpt
    await h.close()


def test_every_rule_store_honours_the_forget_contract() -> None:
    stores = {store.__name__: store for store in contract_stores()}
    assert stores, "no rule store found"
    missing = [name for name, store in stores.items() if not hasattr(store, "forget_member")]
    assert missing == []
