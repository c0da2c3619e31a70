"""Introductions: recorded for digests; one friendly follow-up DM after 3 days, never more."""

from __future__ import annotations

from datetime import timedelta

from bot.actions import DirectMessage
from rules.welcome.store import newcomers
from tests.harness import Harness
from tests.rules.welcome.conftest import MakeHarness


def _follow_ups(h: Harness, user: str = "bob") -> list[DirectMessage]:
    return [
        a
        for a in h.sent
        if isinstance(a, DirectMessage) and a.user == user and "love to hear" in a.text
    ]


async def test_one_follow_up_after_three_days_and_never_again(wh: Harness) -> None:
    await wh.join("bob")
    await wh.advance(timedelta(days=3) - timedelta(minutes=1))
    assert _follow_ups(wh) == []
    await wh.advance("2m")
    (dm,) = _follow_ups(wh)
    assert dm.text.startswith("Hi <@bob>!") and "#intro" in dm.text and "won't ask again" in dm.text
    await wh.join("bob")  # a rejoin within the window does not restart anything
    await wh.advance("10d")
    assert len(_follow_ups(wh)) == 1


async def test_no_follow_up_for_a_member_who_introduced_themselves(wh: Harness) -> None:
    await wh.join("bob")
    await wh.advance("5h")
    await wh.message("bob", "Hi! I'm Bob, I run a small bakery   and love Python.", channel="intro")
    await wh.message("bob", "Second message in intro", channel="intro")
    await wh.advance("4d")
    assert _follow_ups(wh) == []
    async with wh.engine.database.session() as session:
        views = await newcomers(session, wh.community, since=wh.clock.now() - timedelta(days=7))
    assert [(v.user, v.intro_excerpt) for v in views] == [
        ("bob", "Hi! I'm Bob, I run a small bakery and love Python.")
    ]
    assert views[0].introduced_at == views[0].joined_at + timedelta(hours=5)


async def test_a_reply_in_someone_elses_introduction_is_not_ones_own(wh: Harness) -> None:
    await wh.join("ann")
    await wh.join("bob")
    intro = await wh.message("ann", "Hello, I'm Ann from Lisbon", channel="intro")
    await wh.message("bob", "Welcome Ann!", channel="intro", thread=intro.message_id)
    await wh.advance("4d")
    assert len(_follow_ups(wh, "bob")) == 1
    assert _follow_ups(wh, "ann") == []


async def test_leaving_cancels_the_follow_up(wh: Harness) -> None:
    from bot.events import MemberLeft

    await wh.join("bob")
    await wh.send(
        MemberLeft(
            platform="test",
            event_id="left-1",
            community=wh.community,
            at=wh.clock.now(),
            user="bob",
        )
    )
    await wh.advance("4d")
    assert _follow_ups(wh) == []


async def test_an_introduction_held_for_review_counts(wh: Harness) -> None:
    await wh.join("bob")
    await wh.message("bob", "Hi, I'm Bob! My bakery: https://bobs-bakery.example", channel="intro")
    await wh.advance("4d")
    assert _follow_ups(wh) == []
    listing = await wh.command("mod", "held")
    assert "H1 · <@bob> in #intro" in listing[0].text


async def test_the_follow_up_survives_a_restart(make: MakeHarness, sqlite_url: str) -> None:
    first = await make(sqlite_url)
    await first.join("bob")
    await first.advance("1d")
    await first.close()
    second = await make(sqlite_url)
    second.clock.set(first.clock.now())
    await second.advance("3d")
    assert len(_follow_ups(second)) == 1


async def test_no_follow_up_without_an_intro_channel(make: MakeHarness, sqlite_url: str) -> None:
    h = await make(sqlite_url, "community:\n  name: C\n")
    await h.join("bob")
    (welcome,) = h.pop()
    assert "Say hello whenever you're ready" in welcome.text
    await h.advance("4d")
    assert _follow_ups(h) == []


async def test_follow_up_can_be_turned_off(make: MakeHarness, sqlite_url: str) -> None:
    config = "community:\n  intro_channel: intro\nwelcome:\n  intro_follow_up: false\n"
    h = await make(sqlite_url, config)
    await h.join("bob")
    await h.advance("4d")
    assert _follow_ups(h) == []
