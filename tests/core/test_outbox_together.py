"""An adapter without effects (replay's): a claimed batch is sent and marked in one transaction."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import Action, ActionResult
from bot.adapter import Capabilities, TransientError
from bot.clock import SimulatedClock
from bot.storage.db import Database
from bot.storage.models import OutboxEntry
from tests.core.test_outbox import START, ScriptedAdapter, rows, sender, store
from tests.core.test_outbox_follow_up import note, text_of


class Recorder(ScriptedAdapter):
    """Records only: executing an action changes nothing outside."""

    capabilities = Capabilities(effects=False)


def commits(database: Database) -> list[int]:
    """A list that grows by one at every commit of the database's connections."""
    seen: list[int] = []
    event.listen(database.engine.sync_engine, "commit", lambda _conn: seen.append(1))
    return seen


async def test_a_batch_is_sent_marked_and_followed_up_in_one_transaction(
    database: Database,
) -> None:
    followed: list[str] = []

    async def follow_up(
        row: OutboxEntry, action: Action, result: ActionResult, session: AsyncSession
    ) -> None:
        followed.append(row.key)
        await note(session, text_of(action))

    await store(database, "1", "2", "3", tag="t")
    await store(database, "plain")
    committed = commits(database)
    adapter = Recorder()
    sent = await sender(database, SimulatedClock(START), adapter, on_sent=follow_up).drain()
    assert sent == 4 and adapter.sent == ["1", "2", "3", "plain"]
    assert followed == ["k:1", "k:2", "k:3"]
    # the claim, the batch, the claim that finds nothing more due: where a transaction per
    # send would have made 6 commits
    assert len(committed) == 3
    stored = await rows(database)
    assert {key: row.status for key, row in stored.items()} == {
        **dict.fromkeys(["k:1", "k:2", "k:3", "k:plain"], "sent"),
        **dict.fromkeys(["after:1", "after:2", "after:3"], "pending"),  # due a lease later
    }
    assert stored["k:2"].result is not None and stored["k:2"].result["message_id"] == "m-2"


async def test_a_failing_follow_up_sends_the_batch_again_one_by_one(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    async def follow_up(
        row: OutboxEntry, action: Action, result: ActionResult, session: AsyncSession
    ) -> None:
        await note(session, text_of(action))
        if row.key == "k:2":
            raise RuntimeError("this follow-up is broken on purpose")

    await store(database, "1", "2", "3", tag="t")
    adapter = Recorder()
    with caplog.at_level(logging.INFO):
        sent = await sender(database, SimulatedClock(START), adapter, on_sent=follow_up).drain()
    assert "sending it one by one" in caplog.text
    assert "was sent but its follow-up failed" in caplog.text  # as for any adapter
    # recorded twice (nothing really went out), marked once each; 2's follow-up is dropped
    assert adapter.sent == ["1", "2", "1", "2", "3"]
    assert sent == 3
    stored = await rows(database)
    assert {key: row.status for key, row in stored.items()} == {
        **dict.fromkeys(["k:1", "k:2", "k:3"], "sent"),
        **dict.fromkeys(["after:1", "after:3"], "pending"),
    }


async def test_an_adapter_error_is_retried_as_for_any_adapter(database: Database) -> None:
    async def before(action: Action) -> Any:
        if text_of(action) == "2":
            raise TransientError("slow down", retry_after=30)

    await store(database, "1", "2", "3")
    adapter = Recorder(before)
    sent = await sender(database, SimulatedClock(START), adapter).drain()
    assert sent == 2  # 2 is due again in 30 s; 1 and 3 went
    stored = await rows(database)
    assert [stored[k].status for k in ("k:1", "k:2", "k:3")] == ["sent", "pending", "sent"]
    assert stored["k:2"].attempts == 1 and stored["k:2"].last_error == "slow down"
