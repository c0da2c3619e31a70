"""Members: the transaction's copy of a member row always equals what the upserts stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.events import Event, MemberJoined, MemberLeft, MessagePosted
from bot.storage.db import Database
from bot.storage.repos import _MEMBER_GET, Members, MemberSnapshot

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


async def test_cached_member_follows_every_upsert(database_url: str) -> None:
    database = Database(database_url)
    await database.upgrade()
    params = {"community": COMMUNITY, "user_id": "ann"}
    try:
        async with database.session() as session:
            members = Members(session, community=COMMUNITY)
            assert await members.get("ann") is None  # read once: cached from now on
            for event in _events():
                await members.record(event)
                cached = await members.get("ann")
                (row,) = await _MEMBER_GET.rows(session, params)  # the stored row, uncached
                assert cached == MemberSnapshot(*row), type(event).__name__
        async with database.session() as session:
            final = await Members(session, community=COMMUNITY).get("ann")
        assert final is not None
        assert (final.message_count, final.name, final.left_at) == (4, "Ann", None)
        assert final.joined_at == T0 + timedelta(minutes=6)
    finally:
        await database.dispose()
