"""The guard holds, hides and looks up messages with fast statements: no ORM flush, same rows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.actions import DirectMessage, Hide, Post
from rules.first_contact.models import HeldMessage
from tests.rules.first_contact.conftest import MakeHarness


async def test_holds_hides_edits_and_follow_ups_flush_nothing(
    make: MakeHarness, database_url: str, flushed: list[str]
) -> None:
    h = await make(database_url)
    start = h.clock.now()
    await h.join("bob")
    first = await h.message("bob", "great deals at https://spam.example/buy")
    await h.advance("1m")
    await h.message("bob", "more at https://spam.example/more", channel="intro")  # quietly
    await h.advance("1m")
    plain = await h.message("bob", "hello there")
    await h.edit(plain, "hello there, buy at https://spam.example")  # held on edit
    await h.edit(first, "great deals at https://spam.example/buy2")  # already held: once
    sent = h.pop()
    await h.advance("4d")  # no follow-up: bob's post in #intro waits for a moderator
    assert flushed == []

    hides = [a.tag for a in sent if isinstance(a, Hide)]
    assert hides == [f"first_contact:hide:{n}" for n in (1, 2, 3)]
    held = [a for a in sent if isinstance(a, DirectMessage) and "I've held" in a.text]
    assert [a.user for a in held] == ["bob"]
    notices = [a for a in sent if isinstance(a, Post) and a.channel == "mods"]
    assert len(notices) == 1 and "H1" in notices[0].text
    assert not [a for a in h.pop() if isinstance(a, DirectMessage)]  # no intro follow-up
    async with h.engine.database.session() as session:
        query = select(HeldMessage).order_by(HeldMessage.id)
        rows = list((await session.scalars(query)).all())
    assert [(r.id, r.message_id, r.channel, r.status) for r in rows] == [
        (1, first.message_id, "general", "pending"),
        (2, rows[1].message_id, "intro", "pending"),
        (3, plain.message_id, "general", "pending"),
    ]
    assert [r.text for r in rows] == [
        "great deals at https://spam.example/buy",
        "more at https://spam.example/more",
        "hello there, buy at https://spam.example",
    ]
    assert all(r.reasons == ["links"] and r.user_id == "bob" for r in rows)
    assert all(
        r.details == {"notes": ["spam.example"], "can_hide": True, "hidden": True} for r in rows
    )
    assert [r.held_at for r in rows] == [
        start,
        start + timedelta(minutes=1),
        start + timedelta(minutes=2),
    ]

    replies = await h.command("mod", "approve H1")  # moderators' commands may flush
    reposted = [a for a in replies if isinstance(a, Post) and a.channel == "general"]
    assert len(reposted) == 1 and "great deals at https://spam.example/buy" in reposted[0].text
    async with h.engine.database.session() as session:
        approved = await session.get(HeldMessage, 1)
        assert approved is not None and approved.status == "approved"
        assert approved.decided_by == "mod" and approved.details["hidden"] is True
