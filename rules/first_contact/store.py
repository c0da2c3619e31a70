"""Storage of the first-contact guard, and the read functions other rules and dashboards use."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from bot.storage import fast_orm
from bot.storage.fast import FastStatement, adopt, full_select
from rules.first_contact.models import HeldMessage, Report
from rules.first_contact.recent import channels_with_copy as channels_with_copy
from rules.first_contact.recent import forget as forget_recent
from rules.first_contact.recent import posts_since as posts_since
from rules.first_contact.recent import remember_post as remember_post

FORGOTTEN = "forgotten"
_HELD_REF = re.compile(r"^[Hh]?#?(\d+)$")
_HELD_BY_ID = FastStatement(full_select(HeldMessage).where(HeldMessage.id == bindparam("id")))
_HELD_MESSAGE = FastStatement(
    full_select(HeldMessage)
    .where(
        HeldMessage.community == bindparam("community"),
        HeldMessage.channel == bindparam("channel"),
        HeldMessage.message_id == bindparam("message_id"),
    )
    .limit(1)
)
_HELD_SINCE = FastStatement(
    select(HeldMessage.id)
    .where(
        HeldMessage.community == bindparam("community"),
        HeldMessage.user_id == bindparam("user"),
        HeldMessage.held_at >= bindparam("since"),
    )
    .limit(1)
)
_USER_HELD_CHANNELS = FastStatement(
    select(HeldMessage.channel, HeldMessage.channel_name).where(
        HeldMessage.community == bindparam("community"), HeldMessage.user_id == bindparam("user")
    )
)


@dataclass(frozen=True)
class HeldView:
    """A held message as shown to moderators and dashboards."""

    id: int
    user: str
    user_name: str | None
    channel: str
    text: str
    reasons: tuple[str, ...]
    held_at: datetime
    status: str


def held_ref(held_id: int) -> str:
    """How a held message is named to people: `H3`."""
    return f"H{held_id}"


def parse_held_ref(raw: str) -> int | None:
    """`H3`, `h3`, `#3` or `3` -> 3; anything else -> None."""
    match = _HELD_REF.match(raw.strip())
    return int(match.group(1)) if match else None


def _view(row: HeldMessage) -> HeldView:
    return HeldView(
        id=row.id,
        user=row.user_id,
        user_name=row.user_name,
        channel=row.channel_name or row.channel,
        text=row.text,
        reasons=tuple(row.reasons),
        held_at=row.held_at,
        status=row.status,
    )


async def held_messages(
    session: AsyncSession, community: str, *, status: str | None = "pending", limit: int = 50
) -> list[HeldView]:
    """Held messages of a community, oldest first; `status=None` lists every status."""
    query = select(HeldMessage).where(HeldMessage.community == community)
    if status is not None:
        query = query.where(HeldMessage.status == status)
    rows = (await session.scalars(query.order_by(HeldMessage.id).limit(limit))).all()
    return [_view(row) for row in rows]


async def forget_member(session: AsyncSession, community: str, user: str) -> int:
    """Erase the text and ids of a member's held messages, posts and reports; counts stay."""
    held = await session.execute(
        update(HeldMessage)
        .where(HeldMessage.community == community, HeldMessage.user_id == user)
        .values(user_id=FORGOTTEN, user_name=None, text="", permalink=None, details={})
    )
    recent = await forget_recent(session, community, user)
    reports = await session.execute(
        update(Report)
        .where(Report.community == community, Report.reporter == user)
        .values(reporter=None, text="")
    )
    return recent + sum(int(getattr(r, "rowcount", 0) or 0) for r in (held, reports))


async def hold(
    session: AsyncSession,
    *,
    community: str,
    values: dict[str, Any],
    now: datetime,
) -> HeldMessage:
    """Queue a message for review and return the stored row (its id names it)."""
    row = HeldMessage(community=community, held_at=now, status="pending", **values)
    await fast_orm.insert(session, row)
    return row


async def get_held(session: AsyncSession, community: str, held_id: int) -> HeldMessage | None:
    """A held message of this community by id (the session's own copy when it has one)."""
    row = session.sync_session.identity_map.get(identity_key(HeldMessage, (held_id,)))
    if not isinstance(row, HeldMessage):
        found = await _HELD_BY_ID.rows(session, {"id": held_id})
        row = adopt(session, HeldMessage, found)[0] if found else None
    return row if row is not None and row.community == community else None


async def find_held(
    session: AsyncSession, community: str, *, channel: str, message_id: str
) -> HeldMessage | None:
    """The held record of a platform message, if it was held."""
    params = {"community": community, "channel": channel, "message_id": message_id}
    found = await _HELD_MESSAGE.rows(session, params)
    return adopt(session, HeldMessage, found)[0] if found else None


async def mark_hidden(session: AsyncSession, row: HeldMessage) -> None:
    """Note that the platform hid the message (approving will re-post it)."""
    await fast_orm.update(session, row, details={**row.details, "hidden": True})


async def decide(
    session: AsyncSession, row: HeldMessage, *, status: str, moderator: str, now: datetime
) -> None:
    """Record a moderator's decision; the content stays."""
    row.status = status
    row.decided_by = moderator
    row.decided_at = now
    await session.flush()


async def add_report(
    session: AsyncSession,
    *,
    community: str,
    reporter: str,
    channel: str | None,
    text: str,
    now: datetime,
) -> Report:
    row = Report(
        community=community, reporter=reporter, channel=channel, text=text, reported_at=now
    )
    session.add(row)
    await session.flush()
    return row


async def recently_held(
    session: AsyncSession, community: str, *, user: str, since: datetime
) -> bool:
    """Whether a message of this member was held since `since` (later ones are held quietly)."""
    params = {"community": community, "user": user, "since": since}
    return bool(await _HELD_SINCE.rows(session, params))


async def held_in_channels(
    session: AsyncSession, community: str, *, user: str, channels: set[str]
) -> bool:
    """Whether a member's message in one of `channels` (ids or names) was held, whatever status."""
    for channel, name in await _USER_HELD_CHANNELS.rows(
        session, {"community": community, "user": user}
    ):
        if channel in channels or (name and name in channels):
            return True
    return False


async def purge_text(session: AsyncSession, community: str, *, before: datetime) -> int:
    """Erase the text of held messages reviewed before `before`, and of older reports.

    Pending messages keep their text until a moderator decides; reasons and counts stay.
    """
    held = await session.execute(
        update(HeldMessage)
        .where(
            HeldMessage.community == community,
            HeldMessage.status != "pending",
            HeldMessage.decided_at < before,
            HeldMessage.text != "",
        )
        .values(text="", details={}, permalink=None)
    )
    reports = await session.execute(
        update(Report)
        .where(Report.community == community, Report.reported_at < before, Report.text != "")
        .values(text="")
    )
    return sum(int(getattr(r, "rowcount", 0) or 0) for r in (held, reports))
