"""The welcome rule writes its rows with fast statements: no ORM flush, same rows as before."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.actions import DirectMessage, Post
from bot.events import MemberLeft
from rules.welcome.models import Newcomer
from tests.rules.welcome.conftest import MakeHarness


async def test_joins_intros_follow_ups_leaves_and_bursts_flush_nothing(
    make: MakeHarness, database_url: str, flushed: list[str]
) -> None:
    h = await make(database_url)
    start = h.clock.now()
    await h.join("ann", channel="lobby")
    await h.advance("1h")
    await h.message("ann", "Hello, I'm Ann from Lisbon,   I knit.", channel="intro")
    await h.join("bob")
    await h.advance(timedelta(days=3))  # bob's follow-up: he never introduced himself
    await h.send(
        MemberLeft(
            platform="test", event_id="left-1", community=h.community, at=h.clock.now(), user="bob"
        )
    )
    await h.advance("1h")
    await h.join("bob", user_name="Bobby")  # a rejoin within the window: no second welcome
    for n in range(1, 6):  # a burst (bob's rejoin counts): u3 to u5 wait for the combined welcome
        await h.join(f"u{n}")
        await h.advance("5s")
    await h.advance("2m")
    assert flushed == []

    dms = [a for a in h.sent if isinstance(a, DirectMessage) and "love to hear" in a.text]
    assert [dm.user for dm in dms] == ["bob"]
    welcomes = [a for a in h.sent if isinstance(a, Post) and a.channel == "welcome"]
    assert len(welcomes) == 5 and "<@u3>, <@u4> and <@u5>" in welcomes[-1].text
    async with h.engine.database.session() as session:
        rows = {r.user_id: r for r in (await session.scalars(select(Newcomer))).all()}
    ann, bob = rows["ann"], rows["bob"]
    assert (ann.joined_at, ann.join_channel, ann.welcomed_at) == (start, "lobby", start)
    assert ann.welcome_kind == "individual" and ann.burst_pending is False
    assert ann.introduced_at == start + timedelta(hours=1)
    assert (ann.intro_channel, ann.intro_excerpt) == (
        "intro",
        "Hello, I'm Ann from Lisbon, I knit.",
    )
    assert ann.intro_message_id is not None and ann.followed_up_at is None
    bob_joined = start + timedelta(hours=1)
    assert (bob.joined_at, bob.welcomed_at) == (bob_joined, bob_joined)
    assert bob.followed_up_at == bob_joined + timedelta(days=3)
    rejoined = bob_joined + timedelta(days=3, hours=1)
    assert (bob.last_joined_at, bob.left_at, bob.name) == (rejoined, None, "Bobby")
    assert bob.join_channel is None and bob.introduced_at is None
    burst = [rows[f"u{n}"] for n in range(1, 6)]
    assert [r.welcome_kind for r in burst] == ["individual"] * 2 + ["combined"] * 3
    assert not any(r.burst_pending for r in burst)
    assert burst[2].last_joined_at == rejoined + timedelta(seconds=10)
    combined_at = burst[2].last_joined_at + timedelta(minutes=1)  # the burst window
    assert [r.welcomed_at for r in burst[2:]] == [combined_at] * 3


async def test_a_member_who_left_keeps_the_date_until_they_rejoin(
    make: MakeHarness, database_url: str, flushed: list[str]
) -> None:
    h = await make(database_url)
    await h.join("bob")
    await h.advance("1h")
    left_at = h.clock.now()
    await h.send(
        MemberLeft(
            platform="test", event_id="left-1", community=h.community, at=left_at, user="bob"
        )
    )
    assert flushed == []
    async with h.engine.database.session() as session:
        row = await session.get(Newcomer, (h.community, "bob"))
        assert row is not None and row.left_at == left_at and row.name == "bob"
