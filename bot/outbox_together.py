"""Sending a claimed batch in one transaction, for adapters whose actions change nothing outside.

The outbox commits each send's mark before the next send, so a crash never sends an action twice.
An adapter without effects (`Capabilities.effects=False`: replay's, which only records) cannot
send anything twice: there its batch is executed, marked and followed up (`on_sent`) in one
transaction. Anything but a plain success (an adapter error, a failing follow-up, an unreadable
action) rolls that transaction back, and the batch is sent again one action at a time, as for
every other adapter, which handles each case as it always does.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from time import perf_counter
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import ActionResult, action_from_json
from bot.adapter import Adapter, split_community
from bot.delivery import resolve
from bot.outbox_store import SENT
from bot.storage.db import reused_transaction

if TYPE_CHECKING:
    from bot.outbox import OutboxSender, _Claim

log = logging.getLogger(__name__)


def effect_free(adapters: Mapping[str, Adapter]) -> bool:
    """Whether every adapter only records what it is given (there is at least one)."""
    return bool(adapters) and not any(a.capabilities.effects for a in adapters.values())


async def send_together(
    sender: OutboxSender, batch: Sequence[_Claim], marks: AsyncSession
) -> int | None:
    """Send and mark `batch` in one transaction of the drain's session `marks`; returns how
    many were sent, or None when anything went otherwise (then nothing of it is kept)."""
    sent: list[tuple[str, float]] = []
    try:
        async with reused_transaction(marks):
            for row in batch:
                action = action_from_json(row.payload)
                adapter = sender.adapters[split_community(action.community)[0]]
                community = sender.config.for_community(action.community)
                started = perf_counter()
                result = ActionResult()
                for concrete in resolve(action, adapter.capabilities, community):
                    result = await adapter.execute(concrete)
                sent.append((row.kind, perf_counter() - started))
                outcome: dict[str, Any] = {"row_id": row.id, "at": sender.clock.now()}
                await SENT.execute(marks, {**outcome, "outcome": result.model_dump()})
                if sender.on_sent is not None and action.tag:
                    await sender.on_sent(row.entry(), action, result, marks)
    except Exception:
        log.info("a batch of recorded sends failed together; sending it one by one", exc_info=True)
        return None
    for kind, seconds in sent:  # counted once committed
        latency, count = sender.kind_metrics(kind)
        latency.observe(seconds)
        count.inc()
    return len(sent)
