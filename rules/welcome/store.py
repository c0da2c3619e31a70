"""Storage of the welcome rule, and the read functions digests and dashboards use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import fast_orm
from bot.storage.fast import FastStatement, adopt, full_select
from bot.storage.models import Deadline
from rules.welcome.models import Newcomer

RULE = "welcome"
_IDENTITY = inspect(Newcomer).identity_key_from_primary_key
_NEWCOMER = FastStatement(
    full_select(Newcomer).where(
        Newcomer.community == bindparam("community"), Newcomer.user_id == bindparam("user")
    )
)
_BURST_PENDING = FastStatement(
    full_select(Newcomer)
    .where(Newcomer.community == bindparam("community"), Newcomer.burst_pending.is_(True))
    .order_by(Newcomer.last_joined_at, Newcomer.user_id)
)
_JOINS_SINCE = FastStatement(
    select(func.count()).where(
        Newcomer.community == bindparam("community"),
        Newcomer.last_joined_at >= bindparam("since"),
    )
)


@dataclass(frozen=True)
class NewcomerView:
    """A member who joined, and whether (and how) they introduced themselves."""

    user: str
    name: str | None
    joined_at: datetime
    introduced_at: datetime | None
    intro_excerpt: str | None


async def newcomers(
    session: AsyncSession, community: str, *, since: datetime
) -> list[NewcomerView]:
    """Members who joined since `since` (latest join), oldest first."""
    query = (
        select(Newcomer)
        .where(Newcomer.community == community, Newcomer.last_joined_at >= since)
        .order_by(Newcomer.last_joined_at, Newcomer.user_id)
    )
    return [
        NewcomerView(
            user=row.user_id,
            name=row.name,
            joined_at=row.last_joined_at,
            introduced_at=row.introduced_at,
            intro_excerpt=row.intro_excerpt,
        )
        for row in (await session.scalars(query)).all()
    ]


async def forget_member(session: AsyncSession, community: str, user: str) -> int:
    """Erase a member's welcome record and their pending follow-up; returns rows removed."""
    result = await session.execute(
        delete(Newcomer).where(Newcomer.community == community, Newcomer.user_id == user)
    )
    await session.execute(
        delete(Deadline).where(
            Deadline.community == community,
            Deadline.rule == RULE,
            Deadline.key == follow_up_key(user),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def follow_up_key(user: str) -> str:
    return f"follow_up:{user}"


async def get(session: AsyncSession, community: str, user: str) -> Newcomer | None:
    """The member's welcome record (the session's own copy when it has one)."""
    held = session.sync_session.identity_map.get(_IDENTITY((community, user)))
    if isinstance(held, Newcomer):
        return held
    rows = await _NEWCOMER.rows(session, {"community": community, "user": user})
    return adopt(session, Newcomer, rows)[0] if rows else None


async def record_join(
    session: AsyncSession,
    *,
    community: str,
    user: str,
    name: str | None,
    channel: str | None,
    at: datetime,
    **also: Any,
) -> Newcomer:
    """Create or update a member's row for a join at `at`."""
    row = await get(session, community, user)
    return await write_join(
        session, row, community=community, user=user, name=name, channel=channel, at=at, **also
    )


async def write_join(
    session: AsyncSession,
    row: Newcomer | None,
    *,
    community: str,
    user: str,
    name: str | None,
    channel: str | None,
    at: datetime,
    **also: Any,
) -> Newcomer:
    """`record_join` for a member whose row (`row`, or None) this transaction just read with
    `get`; the columns in `also` (how they were welcomed) go in the same statement."""
    if row is None:
        values = {"burst_pending": False, **also}
        row = Newcomer(
            community=community,
            user_id=user,
            name=name,
            joined_at=at,
            last_joined_at=at,
            join_channel=channel,
            **values,
        )
        await fast_orm.insert(session, row)
    else:
        await change(
            session,
            row,
            last_joined_at=at,
            left_at=None,
            name=name or row.name,
            join_channel=channel or row.join_channel,
            **also,
        )
    return row


async def change(session: AsyncSession, row: Newcomer, **values: Any) -> None:
    """Write `values` to the member's row and to `row` (one UPDATE, no ORM flush)."""
    await fast_orm.update(session, row, **values)


async def joins_since(session: AsyncSession, community: str, *, since: datetime) -> int:
    """How many members joined (or rejoined) since `since`."""
    rows = await _JOINS_SINCE.rows(session, {"community": community, "since": since})
    return int(rows[0][0] or 0) if rows else 0


async def burst_pending(session: AsyncSession, community: str) -> Sequence[Newcomer]:
    """Members waiting for the combined welcome, in join order."""
    rows = await _BURST_PENDING.rows(session, {"community": community})
    return adopt(session, Newcomer, rows)


async def purge_text(session: AsyncSession, community: str, *, before: datetime) -> int:
    """Erase introduction excerpts of introductions made before `before`; counts stay."""
    result = await session.execute(
        update(Newcomer)
        .where(
            Newcomer.community == community,
            Newcomer.introduced_at < before,
            Newcomer.intro_excerpt.is_not(None),
        )
        .values(intro_excerpt=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
