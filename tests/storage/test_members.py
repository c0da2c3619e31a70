"""Members: the transaction's copy of a member row always equals what the upserts stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.events import Event, MemberJoined, MemberLeft, MessagePosted
from bot.storage.db import Database
from bot.storage.deferred_writes import deferred, flush_deferred
from bot.storage.members import _GET, _UPSERT, Members, MemberSnapshot
from bot.storage.models import Member

COMMUNITY = "test:c"
T0 = datetime(2026, 5, 4, 10, tzinfo=UTC)


def _events() -> list[Event]:
    def common(n: int, name: str | None) -> dict[str, object]:
        return {
            "platform": "test",
            "event_id": f"e{n}",
            "community": COMMUNITY,
            "at": T0 + timedelta(minutes=n),
            "user": "ann",
            "user_name": name,
        }

    def said(n: int, name: str | None = "Ann") -> MessagePosted:
        return MessagePosted(**common(n, name), channel="c", message_id=f"m{n}", text="hi")

    return [
        said(1),
        MemberJoined(**common(2, "Ann B")),
        said(3, None),  # no name on the event: the stored one stays
        said(4, ""),
        MemberLeft(**common(5, None)),
        MemberJoined(**common(6, "Ann")),
        said(7),
    ]


async def _stored(session: AsyncSession) -> MemberSnapshot | None:
    """The row in the database now (queued upserts written first)."""
    await flush_deferred(session)
    found = await _GET.rows(session, {"community": COMMUNITY, "user_id": "ann"})
    return MemberSnapshot(*found[0]) if found else None


async def test_cached_member_follows_every_upsert(database_url: str) -> None:
    database = Database(database_url)
    await database.upgrade()
    try:
        async with database.session() as session:
            members = Members(session, community=COMMUNITY)
            assert await members.get("ann") is None  # read once: cached from now on
            for event in _events():
                await members.record(event)
                cached = await members.get("ann")
                assert cached == await _stored(session), type(event).__name__
        async with database.session() as session:
            final = await Members(session, community=COMMUNITY).get("ann")
        assert final is not None
        assert (final.message_count, final.name, final.left_at) == (4, "Ann", None)
        assert final.joined_at == T0 + timedelta(minutes=6)
    finally:
        await database.dispose()


async def test_queued_upserts_count_for_a_member_read_later(database_url: str) -> None:
    """Recorded before the first read (and partly flushed meanwhile): nothing twice or lost."""
    database = Database(database_url)
    await database.upgrade()
    events = _events()
    try:
        async with database.session() as session:
            members = Members(session, community=COMMUNITY)
            for event in events[:3]:
                await members.record(event)
            await flush_deferred(session)  # e.g. a command reading the table itself
            for event in events[3:]:
                await members.record(event)
            seen = await members.get("ann")  # stored rows plus the ones still queued
        async with database.session() as session:
            stored = await Members(session, community=COMMUNITY).get("ann")
        assert seen == stored
        assert stored is not None and stored.message_count == 4
    finally:
        await database.dispose()


async def test_a_batchs_upserts_of_one_member_fold_and_store_what_one_by_one_would(
    database_url: str,
) -> None:
    """Messages fold into the member's row queued before them; joins and leaves do not."""
    database = Database(database_url)
    await database.upgrade()
    events = _events()
    try:
        async with database.session() as session:  # one transaction, nothing read first
            members = Members(session, community=COMMUNITY)
            for event in events:
                await members.record(event)
            queued = deferred(session, _UPSERT)
            # said(1) | joined(2) + said(3) + said(4) | left(5) | joined(6) + said(7)
            assert [row["message_count"] for row in queued] == [1, 2, 0, 1]
            assert await members.get("ann") == await _stored(session)
        async with database.session() as session:
            batched = await Members(session, community=COMMUNITY).get("ann")
        async with database.session() as session:
            await session.execute(delete(Member))
        for event in events:  # the same events, a transaction each
            async with database.session() as session:
                await Members(session, community=COMMUNITY).record(event)
        async with database.session() as session:
            assert await Members(session, community=COMMUNITY).get("ann") == batched
    finally:
        await database.dispose()
