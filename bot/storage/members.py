"""What the core knows of members (join time, message counts), cheap on the per-event path.

Every event upserts its member's row. The upsert is deferred (`bot.storage.deferred_writes`):
a batch's rows are written as one `executemany` just before commit, in event order (a member's
messages fold into one row). Reads in the same transaction stay exact: a member read once is
kept and follows each upsert (computed in Python exactly as the SQL does); a member not read yet
is read from the database and the transaction's queued upserts for them are applied on top.
Code that reads the `members` table with its own SQL calls `flush_deferred` first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func, null, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.events import Event, MemberJoined, MemberLeft, MessagePosted
from bot.storage.deferred_writes import defer_merged, deferred, flush_deferred
from bot.storage.fast import FastStatement, full_select
from bot.storage.models import Member
from bot.storage.sql import fast_upsert

MEMBERS = cast(Table, Member.__table__)
_COLUMNS = (
    "community",
    "user_id",
    "name",
    "first_seen",
    "last_seen",
    "is_bot",
    "message_count",
    "joined_at",
    "left_at",
)


def _keep_name(excluded: Any) -> Any:
    """A new name only when the event carries one (None or empty keeps the stored one)."""
    return func.coalesce(func.nullif(excluded.name, ""), MEMBERS.c.name)


def _joined(excluded: Any) -> Any:
    """A join sets the join time; other events keep it."""
    return case((excluded.joined_at.is_not(None), excluded.joined_at), else_=MEMBERS.c.joined_at)


def _left(excluded: Any) -> Any:
    """A join clears the leave time, a leave sets it, other events keep it."""
    return case(
        (excluded.joined_at.is_not(None), null()),
        (excluded.left_at.is_not(None), excluded.left_at),
        else_=MEMBERS.c.left_at,
    )


_UPSERT = fast_upsert(
    MEMBERS,
    columns=_COLUMNS,
    keys=("community", "user_id"),
    replace=("last_seen",),
    add=("message_count",),
    extra={"name": _keep_name, "joined_at": _joined, "left_at": _left},
)
"""One statement for every kind of event, so a batch's queued rows keep their order."""
_GET = FastStatement(
    full_select(Member).where(
        Member.community == bindparam("community"), Member.user_id == bindparam("user_id")
    )
)


@dataclass(frozen=True, slots=True)
class MemberSnapshot:
    """A member's stored row, read-only (the `members` table's columns, in its order)."""

    community: str
    user_id: str
    name: str | None
    joined_at: datetime | None
    first_seen: datetime
    last_seen: datetime
    message_count: int
    is_bot: bool
    left_at: datetime | None


def upserted(old: MemberSnapshot | None, row: dict[str, Any]) -> MemberSnapshot:
    """`old` after the member upsert of `row`, computed in Python exactly as `_UPSERT` does."""
    if old is None:
        return MemberSnapshot(**row)
    joined, left = old.joined_at, old.left_at
    if row["joined_at"] is not None:
        joined, left = row["joined_at"], None
    elif row["left_at"] is not None:
        left = row["left_at"]
    return MemberSnapshot(  # positional: dataclasses.replace costs several times more
        old.community,
        old.user_id,
        row["name"] or old.name,
        joined,
        old.first_seen,
        row["last_seen"],
        old.message_count + row["message_count"],
        old.is_bot,
        left,
    )


def _fold(queued: dict[str, Any], row: Mapping[str, Any]) -> bool:
    """Fold a member's next upsert into the one queued before it, when one write does both
    (as `_UPSERT` would apply them in turn): not a join or a leave, whose times the combined
    row could not carry with the queued one's."""
    if row["joined_at"] is not None or row["left_at"] is not None:
        return False
    if row["name"]:
        queued["name"] = row["name"]
    queued["last_seen"] = row["last_seen"]
    queued["message_count"] += row["message_count"]
    return True


class Members:
    """What the core knows of a community's members: join time, message counts."""

    def __init__(self, session: AsyncSession, *, community: str) -> None:
        self.session = session
        self.community = community

    def _known(self) -> dict[tuple[str, str], MemberSnapshot | None]:
        """Members read in this transaction, kept up to date by `record`."""
        known: Any = self.session.info.setdefault("circlebot.members", {})
        return known

    def _pending(self) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """Queued upserts of members not read yet in this transaction."""
        pending: Any = self.session.info.setdefault("circlebot.members.pending", {})
        return pending

    async def get(self, user_id: str) -> MemberSnapshot | None:
        """The member's row as this transaction sees it (read once per transaction)."""
        known = self._known()
        key = (self.community, user_id)
        if key in known:
            return known[key]
        found = await _GET.rows(self.session, {"community": self.community, "user_id": user_id})
        snapshot = MemberSnapshot(*found[0]) if found else None
        waiting = self._pending().pop(key, [])
        if waiting:  # only rows still queued: a flush already wrote the others
            queued = {id(row) for row in deferred(self.session, _UPSERT)}
            for row in waiting:
                if id(row) in queued:
                    snapshot = upserted(snapshot, row)
        known[key] = snapshot
        return snapshot

    def forget_cached(self, user_id: str) -> None:
        """Read the member from the database next time (after a direct UPDATE of the row)."""
        self._known().pop((self.community, user_id), None)

    async def record(self, event: Event) -> None:
        """Queue the upsert of the member row an event tells about (joins, leaves, messages)."""
        row = {
            "community": self.community,
            "user_id": event.user,
            "name": event.user_name,
            "first_seen": event.at,
            "last_seen": event.at,
            "is_bot": event.is_bot,
            "message_count": 1 if isinstance(event, MessagePosted) else 0,
            "joined_at": event.at if isinstance(event, MemberJoined) else None,
            "left_at": event.at if isinstance(event, MemberLeft) else None,
        }
        key = (self.community, event.user)
        folded = defer_merged(self.session, _UPSERT, key, row, _fold)
        known = self._known()
        if key in known:  # the same change the upsert will make, on the transaction's copy
            known[key] = upserted(known[key], row)
        elif not folded:  # (a folded row changed the member's row queued before it)
            self._pending().setdefault(key, []).append(row)

    async def joined_since(self, since: datetime) -> Sequence[Member]:
        await flush_deferred(self.session)  # this query reads the table itself
        query = select(Member).where(Member.community == self.community, Member.joined_at >= since)
        return (await self.session.scalars(query.order_by(Member.joined_at))).all()
