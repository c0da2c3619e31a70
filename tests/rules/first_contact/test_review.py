"""The review queue: held, approve, reject, buttons, restarts, and private reports."""

from __future__ import annotations

from sqlalchemy import select

from bot.actions import DirectMessage, Ephemeral, Post
from rules.first_contact.models import HeldMessage, Report
from tests.harness import Harness
from tests.rules.first_contact.conftest import MakeHarness

SPAM = "Cheap followers at https://spam.example"


async def _status(h: Harness) -> list[tuple[int, str, str | None]]:
    async with h.engine.database.session() as session:
        rows = (await session.scalars(select(HeldMessage).order_by(HeldMessage.id))).all()
        return [(r.id, r.status, r.decided_by) for r in rows]


async def _hold_one(h: Harness, user: str = "bob", channel: str = "general") -> None:
    await h.join(user)
    await h.message(user, SPAM, channel=channel)
    h.pop()


async def test_held_lists_the_queue_for_moderators_only(fc: Harness) -> None:
    assert "Nothing is held" in (await fc.command("mod", "held"))[0].text
    await _hold_one(fc)
    await _hold_one(fc, "dan", "random")
    listing = await fc.command("mod", "held")
    assert len(listing) == 1 and isinstance(listing[0], Ephemeral)
    text = listing[0].text
    assert "H1 · <@bob> in #general · links" in text and "H2 · <@dan> in #random" in text
    assert SPAM in text
    assert [b.command for b in listing[0].buttons] == [
        "approve H1",
        "reject H1",
        "approve H2",
        "reject H2",
    ]
    refused = await fc.command("bob", "held")
    assert "for the circle's moderators" in refused[0].text


async def test_approve_reposts_with_attribution_and_tells_the_author(fc: Harness) -> None:
    await _hold_one(fc)
    done = await fc.command("mod", "approve H1")
    posts = [a for a in done if isinstance(a, Post)]
    assert len(posts) == 1 and posts[0].channel == "general"
    assert posts[0].text == f"Posted by @bob, approved by a moderator:\n{SPAM}"
    dms = [a for a in done if isinstance(a, DirectMessage)]
    assert [d.user for d in dms] == ["bob"] and "approved" in dms[0].text
    assert "Approved H1" in done[-1].text and isinstance(done[-1], Ephemeral)
    assert await _status(fc) == [(1, "approved", "mod")]
    again = await fc.command("mod", "approve 1")
    assert again[0].text == "H1 was already approved by <@mod>."


async def test_approve_in_a_thread_reposts_in_that_thread(fc: Harness) -> None:
    await fc.join("bob")
    await fc.message("bob", SPAM, thread="root1")
    done = await fc.command("mod", "approve h1")
    post = next(a for a in done if isinstance(a, Post))
    assert post.thread == "root1"


async def test_reject_keeps_the_record_and_tells_the_author_kindly(fc: Harness) -> None:
    await _hold_one(fc)
    done = await fc.command("mod", "reject 1")
    assert not [a for a in done if isinstance(a, Post)]
    dm = next(a for a in done if isinstance(a, DirectMessage))
    assert dm.user == "bob" and "still very welcome" in dm.text
    assert await _status(fc) == [(1, "rejected", "mod")]
    async with fc.engine.database.session() as session:
        row = await session.get(HeldMessage, 1)
        assert row is not None and row.text == SPAM  # the content is never lost
    assert "already rejected" in (await fc.command("mod", "approve H1"))[0].text


async def test_buttons_approve_and_reject(fc: Harness) -> None:
    await _hold_one(fc)
    await _hold_one(fc, "dan")
    denied = await fc.press("bob", "approve H1")
    assert "for the circle's moderators" in denied[0].text
    pressed = await fc.press("carol", "approve H1", roles=("Mods",))
    assert any(isinstance(a, Post) and a.text.startswith("Posted by @bob") for a in pressed)
    await fc.press("mod", "reject H2")
    assert await _status(fc) == [(1, "approved", "carol"), (2, "rejected", "mod")]


async def test_bad_references_get_helpful_answers(fc: Harness) -> None:
    assert "Usage: `/circle approve H<id>`" in (await fc.command("mod", "approve"))[0].text
    assert "Usage: `/circle reject H<id>`" in (await fc.command("mod", "reject Q7"))[0].text
    assert "no held message H9" in (await fc.command("mod", "approve H9"))[0].text


async def test_the_queue_survives_a_restart(make: MakeHarness, sqlite_url: str) -> None:
    first = await make(sqlite_url)
    await _hold_one(first)
    await first.close()
    second = await make(sqlite_url)
    second.clock.set(first.clock.now())
    # a new process numbers its events afresh: give these their own platform ids
    listing = await second.command("mod", "held", event_id="after-restart-1")
    assert "H1 · <@bob>" in listing[0].text
    done = await second.command("mod", "approve H1", event_id="after-restart-2")
    assert any(isinstance(a, Post) and SPAM in a.text for a in done)


async def test_report_reaches_moderators_without_the_reporter(fc: Harness) -> None:
    done = await fc.command("alice", "report someone DMed me a crypto pitch")
    notice = next(a for a in done if isinstance(a, Post) and a.channel == "mods")
    assert "someone DMed me a crypto pitch" in notice.text
    assert "alice" not in notice.text and "kept private" in notice.text
    answer = next(a for a in done if isinstance(a, Ephemeral))
    assert answer.user == "alice" and "not shared" in answer.text
    async with fc.engine.database.session() as session:
        reports = (await session.scalars(select(Report))).all()
        assert [(r.reporter, r.text) for r in reports] == [
            ("alice", "someone DMed me a crypto pitch")
        ]
    usage = await fc.command("alice", "report")
    assert len(usage) == 1 and "Usage" in usage[0].text


async def test_report_can_name_the_reporter_when_configured(
    make: MakeHarness, sqlite_url: str
) -> None:
    config = (
        "community:\n  moderators_channel: mods\nfirst_contact:\n  report_names_reporter: true\n"
    )
    h = await make(sqlite_url, config)
    done = await h.command("alice", 'report "a pitch by DM"')
    notice = next(a for a in done if isinstance(a, Post) and a.channel == "mods")
    assert "<@alice>" in notice.text and "a pitch by DM" in notice.text
