"""Bursts of joins (a raid or an import): one combined welcome and a note to the moderators."""

from __future__ import annotations

from bot.actions import DirectMessage, Post
from bot.events import MemberJoined
from tests.harness import Harness
from tests.rules.welcome.conftest import MakeHarness


def _posts(h: Harness, channel: str) -> list[Post]:
    return [a for a in h.sent if isinstance(a, Post) and a.channel == channel]


async def test_a_burst_gets_one_combined_welcome_and_a_moderators_notice(wh: Harness) -> None:
    for n in range(1, 8):
        await wh.join(f"u{n}")
        await wh.advance("5s")
    individual = _posts(wh, "welcome")
    assert [p.text.split(",")[1].split("!")[0].strip() for p in individual] == [
        "<@u1>",
        "<@u2>",
        "<@u3>",
    ]
    await wh.advance("1m")
    welcomes = _posts(wh, "welcome")
    assert len(welcomes) == 4
    combined = welcomes[-1].text
    assert combined.startswith(
        "A warm welcome to everyone who just joined Test Circle: <@u4>, <@u5>, <@u6> and <@u7>! 👋"
    )
    assert "• Be kind." in combined
    (notice,) = _posts(wh, "mods")
    assert "more than 3 members joined within 1m" in notice.text and "<@u7>" in notice.text
    await wh.advance("10m")
    assert len(_posts(wh, "welcome")) == 4


async def test_steady_joins_are_welcomed_one_by_one(wh: Harness) -> None:
    for n in range(1, 7):
        await wh.join(f"u{n}")
        await wh.advance("30s")
    await wh.advance("5m")
    assert len(_posts(wh, "welcome")) == 6
    assert _posts(wh, "mods") == []


async def test_a_long_raid_gets_one_combined_welcome_per_window(
    make: MakeHarness, sqlite_url: str
) -> None:
    config = (
        "community:\n  welcome_channel: welcome\n"
        "welcome:\n  burst_threshold: 2\n  burst_names_shown: 3\n"
    )
    h = await make(sqlite_url, config)
    for n in range(1, 23):
        await h.join(f"u{n}")
        await h.advance("5s")
    await h.advance("2m")
    welcomes = _posts(h, "welcome")
    assert len(welcomes) == 2 + 2  # two individual, then one combined per minute
    assert "and 9 others" in welcomes[2].text
    assert len(_posts(h, "mods")) == 0  # no moderators channel: notices go to NotifyModerators
    notices = [a for a in h.sent if a.text.startswith("Heads-up: more than 2")]
    assert len(notices) == 2


async def test_a_burst_in_replay_and_across_a_restart(make: MakeHarness, sqlite_url: str) -> None:
    first = await make(sqlite_url)
    events = [
        MemberJoined(
            platform="test",
            event_id=f"import-{n}",
            community=first.community,
            at=first.clock.now(),
            user=f"imported{n}",
        )
        for n in range(10)
    ]
    assert await first.engine.handle_batch(events) == 10  # the replay fast path
    assert len(_posts(first, "welcome")) == 3
    await first.close()
    second = await make(sqlite_url)
    second.clock.set(first.clock.now())
    assert await second.engine.handle_batch(events) == 0  # replayed again: nothing new
    await second.advance("2m")
    (combined,) = _posts(second, "welcome")
    assert "<@imported3>" in combined.text and "<@imported9>" in combined.text
    assert len(_posts(second, "mods")) == 1


async def test_burst_members_get_the_intro_follow_up_once(wh: Harness) -> None:
    for n in range(1, 6):
        await wh.join(f"u{n}")
    await wh.message("u5", "Hello, I'm u5!", channel="intro")
    await wh.advance("4d")
    followed = sorted(
        a.user for a in wh.sent if isinstance(a, DirectMessage) and "love to hear" in a.text
    )
    assert followed == ["u1", "u2", "u3", "u4"]
