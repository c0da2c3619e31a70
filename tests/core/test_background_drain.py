"""Platform mode: handling an event only kicks the outbox drainer; the actions still go out once."""

from __future__ import annotations

from tests.harness import Harness


async def test_handle_returns_before_sending_and_the_drainer_sends_once(harness: Harness) -> None:
    harness.engine.background_drain = True
    await harness.join("newcomer")
    assert harness.pop() == []  # nothing sent inline: the event did not wait on the adapter
    await harness.engine.outbox.settle()
    sent = harness.pop()
    assert sent and all(a.community == harness.community for a in sent)
    await harness.engine.outbox.drain()
    await harness.engine.outbox.settle()
    assert harness.pop() == []  # sent once, never again


async def test_kicks_while_draining_take_one_more_round(harness: Harness) -> None:
    harness.engine.background_drain = True
    await harness.join("ann")
    await harness.join("bob")  # kicked while the first drainer may still be pending
    await harness.engine.outbox.settle()
    await harness.engine.outbox.drain()
    assert await harness.engine.outbox.depth() == 0
