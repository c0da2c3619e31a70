"""Storage of moderators' runtime config overrides: an append-only log, latest row per key wins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import ConfigOverride


@dataclass(frozen=True)
class StoredOverride:
    """The current runtime value of one dotted key, and who set it when."""

    key: str
    value: Any
    set_by: str
    set_at: datetime


CurrentOverrides = dict[str, StoredOverride]
"""Dotted key -> current override of one community, in the order the keys were last set."""


async def version(session: AsyncSession) -> int:
    """How many changes were ever recorded: the log only grows, so any change moves it."""
    return int((await session.execute(select(func.count(ConfigOverride.id)))).scalar_one())


async def current(
    session: AsyncSession, community: str | None = None
) -> dict[str, CurrentOverrides]:
    """The overrides in force, by community (all communities when `community` is None)."""
    query = select(ConfigOverride).order_by(ConfigOverride.id)
    if community is not None:
        query = query.where(ConfigOverride.community == community)
    out: dict[str, CurrentOverrides] = {}
    for row in (await session.execute(query)).scalars():
        keys = out.setdefault(row.community, {})
        keys.pop(row.key, None)  # re-set keys move to the end: later keys merge over earlier
        if row.value is not None:
            keys[row.key] = StoredOverride(row.key, row.value.get("value"), row.set_by, row.set_at)
    return {c: keys for c, keys in out.items() if keys}


async def record(
    session: AsyncSession,
    *,
    community: str,
    key: str,
    value: Any,
    removed: bool,
    by: str,
    at: datetime,
) -> None:
    """Append one change: a set (`value`) or an unset (`removed`)."""
    session.add(
        ConfigOverride(
            community=community,
            key=key,
            value=None if removed else {"value": value},
            set_by=by,
            set_at=at,
        )
    )
    await session.flush()
