"""Storage of the digests rule: activity counters, participation breadth, subscriptions."""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.deferred_writes import defer_merged, deferred
from bot.storage.sql import fast_upsert, insert_ignore
from rules.digests.models import DailyActivity, Subscription

ACTIVITY = DailyActivity.__table__
SUBSCRIPTIONS = Subscription.__table__
_COUNT_MESSAGES = fast_upsert(
    ACTIVITY,  # type: ignore[arg-type]
    columns=("community", "day", "channel", "user", "channel_name", "messages"),
    keys=("community", "day", "channel", "user"),
    add=("messages",),
)


@dataclass(frozen=True)
class Breadth:
    """How broad participation was: distinct voices, and the share of the most active tenth."""

    voices: int
    messages: int
    top_posters: int
    top_share: float


async def record_message(
    session: AsyncSession,
    community: str,
    *,
    day: date,
    channel: str,
    channel_name: str | None,
    user: str,
    amount: int = 1,
) -> None:
    """Count `amount` messages (one by default) of `user` in `channel` on `day`."""
    values = {
        "community": community,
        "day": day,
        "channel": channel,
        "user": user,
        "channel_name": channel_name,
        "messages": amount,
    }
    # read by digest jobs, never by the event's batch; a batch's counts of one key add up
    defer_merged(session, _COUNT_MESSAGES, (community, day, channel, user), values, _add_up)


def _add_up(queued: dict[str, Any], row: Mapping[str, Any]) -> bool:
    """One count row for several messages of a member in a channel on a day."""
    queued["messages"] += row["messages"]
    return True


async def breadth(session: AsyncSession, community: str, *, first: date, last: date) -> Breadth:
    """Participation on days first..last (inclusive)."""
    per_user = (
        select(DailyActivity.user, func.sum(DailyActivity.messages))
        .where(
            DailyActivity.community == community,
            DailyActivity.day >= first,
            DailyActivity.day <= last,
        )
        .group_by(DailyActivity.user)
    )
    counts = sorted((int(n) for _, n in (await session.execute(per_user)).all()), reverse=True)
    total = sum(counts)
    if not total:
        return Breadth(voices=0, messages=0, top_posters=0, top_share=0.0)
    top = max(1, math.ceil(len(counts) / 10))
    return Breadth(
        voices=len(counts), messages=total, top_posters=top, top_share=sum(counts[:top]) / total
    )


async def active_channels(
    session: AsyncSession, community: str, *, user: str, since: date
) -> list[str]:
    """Channels (ids) where `user` posted since `since`, most active first."""
    total = func.sum(DailyActivity.messages)
    query = (
        select(DailyActivity.channel, total)
        .where(
            DailyActivity.community == community,
            DailyActivity.user == user,
            DailyActivity.day >= since,
        )
        .group_by(DailyActivity.channel)
        .order_by(total.desc(), DailyActivity.channel)
    )
    return [str(channel) for channel, _ in (await session.execute(query)).all()]


async def subscribe(session: AsyncSession, community: str, user: str, *, now: datetime) -> bool:
    """True when `user` was not subscribed before."""
    row = {"community": community, "user": user, "subscribed_at": now}
    return await insert_ignore(session, SUBSCRIPTIONS, row)  # type: ignore[arg-type]


async def unsubscribe(session: AsyncSession, community: str, user: str) -> bool:
    """True when `user` was subscribed."""
    result = await session.execute(
        delete(Subscription).where(Subscription.community == community, Subscription.user == user)
    )
    return bool(getattr(result, "rowcount", 0))


async def subscribers(session: AsyncSession, community: str) -> list[str]:
    query = select(Subscription.user).where(Subscription.community == community)
    return list((await session.scalars(query.order_by(Subscription.user))).all())


async def forget_member(session: AsyncSession, community: str, user: str) -> int:
    """Drop a member's subscription and fold their counters into an anonymous voice."""
    changed = int(await unsubscribe(session, community, user))
    rows = (
        await session.scalars(
            select(DailyActivity).where(
                DailyActivity.community == community, DailyActivity.user == user
            )
        )
    ).all()
    anonymous = f"forgotten:{secrets.token_hex(6)}"
    queued = deferred(session, _COUNT_MESSAGES)  # counted in this transaction, not written yet
    queued[:] = [
        {**row, "user": anonymous} if row["community"] == community and row["user"] == user else row
        for row in queued
    ]
    for row in rows:
        day, channel, channel_name, messages = row.day, row.channel, row.channel_name, row.messages
        await session.delete(row)
        await session.flush()
        await record_message(
            session, community, day=day, channel=channel, channel_name=channel_name,
            user=anonymous, amount=messages,
        )  # fmt: skip
        changed += 1
    return changed
