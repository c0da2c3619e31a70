"""The guard through the engine: every trigger holds, every false positive passes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.actions import DirectMessage, Hide, Post
from bot.adapter import Capabilities, PermanentError
from rules.first_contact.models import HeldMessage
from tests.harness import Harness
from tests.rules.first_contact.conftest import MakeHarness
from tests.rules.first_contact.spy import SpyRule


async def _held(h: Harness) -> list[HeldMessage]:
    async with h.engine.database.session() as session:
        return list((await session.scalars(select(HeldMessage).order_by(HeldMessage.id))).all())


def _mods(actions: list[Any]) -> list[Post]:
    return [a for a in actions if isinstance(a, Post) and a.channel == "mods"]


HELD_CASES = [
    ("links", "great deals at https://spam.example/buy", {}, ("links",)),
    ("bare domain", "visit cheap-pills.shop today", {}, ("links",)),
    ("invite", "join us: discord.gg/freenitro", {}, ("links", "invite")),
    ("allowed plus other", "docs.python.org and https://evil.example", {}, ("links",)),
    ("everyone", "@everyone look at this", {}, ("mass_mention",)),
    ("mass flag", "hello all", {"mass_mention": True}, ("mass_mention",)),
    ("many mentions", "hi", {"mentions": ("a", "b", "c", "d", "e", "f")}, ("mentions",)),
]


@pytest.mark.parametrize(
    ("case", "text", "extra", "reasons"), HELD_CASES, ids=[c[0] for c in HELD_CASES]
)
async def test_trigger_holds_a_new_members_message(
    fc: Harness, case: str, text: str, extra: dict[str, Any], reasons: tuple[str, ...]
) -> None:
    await fc.join("bob")
    fc.pop()
    message = await fc.message("bob", text, **extra)
    done = fc.pop()
    assert isinstance(done[0], Hide) and done[0].message_id == message.message_id
    dm = [a for a in done if isinstance(a, DirectMessage)]
    assert len(dm) == 1 and dm[0].user == "bob"
    assert "held your message" in dm[0].text and "approves it" in dm[0].text
    notice = _mods(done)
    assert len(notice) == 1 and "H1" in notice[0].text and "<@bob>" in notice[0].text
    assert [b.command for b in notice[0].buttons] == ["approve H1", "reject H1"]
    rows = await _held(fc)
    assert [(r.text, tuple(r.reasons), r.status) for r in rows] == [(text, reasons, "pending")]
    assert message.message_id not in SpyRule.seen  # consumed: later rules never see it


PASS_CASES = [
    ("plain", "bob", "hello everyone, glad to be here", {}, "general"),
    ("code block", "bob", "try this:\n```\ncurl https://x.example/install.sh\n```", {}, "general"),
    ("inline code", "bob", "set `url: https://x.example` in the config", {}, "general"),
    ("allowed domain", "bob", "see https://docs.python.org/3/library/re.html", {}, "general"),
    ("showcase channel", "bob", "my project: https://myproject.example", {}, "showcase"),
    ("moderator", "mod", "new docs at https://example.com @everyone", {}, "general"),
    ("moderator role", "carol", "https://example.com", {"roles": ("Mods",)}, "general"),
    ("platform admin", "carol", "https://example.com", {"is_admin": True}, "general"),
    ("trusted role", "carol", "https://example.com", {"roles": ("Regulars",)}, "general"),
    ("bot", "helperbot", "https://example.com", {"is_bot": True}, "general"),
    ("five mentions", "bob", "hi", {"mentions": ("a", "b", "c", "d", "e")}, "general"),
    ("email address", "bob", "write to me@example.com", {}, "general"),
    ("mention in code", "bob", "type `@here` to ping", {}, "general"),
]


@pytest.mark.parametrize(
    ("case", "user", "text", "extra", "channel"), PASS_CASES, ids=[c[0] for c in PASS_CASES]
)
async def test_false_positives_pass(
    fc: Harness, case: str, user: str, text: str, extra: dict[str, Any], channel: str
) -> None:
    await fc.join(user, **{k: v for k, v in extra.items() if k in {"roles", "is_admin"}})
    message = await fc.message(user, text, channel=channel, **extra)
    assert not [a for a in fc.sent if isinstance(a, Hide)]
    assert await _held(fc) == []
    assert message.message_id in SpyRule.seen or extra.get("is_bot")


async def test_an_established_member_may_post_links(fc: Harness) -> None:
    for n in range(5):
        await fc.message("old", f"message {n}")
    await fc.message("old", "here is https://example.com")
    assert await _held(fc) == []


async def test_a_recent_joiner_is_new_whatever_their_message_count(fc: Harness) -> None:
    await fc.join("bob")
    for n in range(6):
        await fc.message("bob", f"chatting {n}")
        await fc.advance("1m")
    await fc.message("bob", "https://example.com")
    assert len(await _held(fc)) == 1
    await fc.advance("7d")
    await fc.message("bob", "https://example.com/again")
    assert len(await _held(fc)) == 1  # a week in and chatty: no longer new


async def test_channel_override_can_allow_some_links(make: MakeHarness, sqlite_url: str) -> None:
    config = "channels:\n  resources:\n    first_contact: {links_allowed: 2}\n"
    h = await make(sqlite_url, config)
    await h.join("bob")
    await h.message("bob", "two: https://a.example https://b.example", channel="resources")
    assert await _held(h) == []
    await h.message(
        "bob", "three: https://a.example https://b.example https://c.example", channel="resources"
    )
    await h.message("bob", "one: https://a.example", channel="general")
    assert [r.channel for r in await _held(h)] == ["resources", "general"]


async def test_cross_posting_to_three_channels_within_the_window(fc: Harness) -> None:
    pitch = "Hi all, I build websites cheaply, DM me for a quote"
    await fc.message("bob", pitch, channel="general")
    await fc.message("bob", pitch.upper(), channel="random")
    assert await _held(fc) == []
    third = await fc.message("bob", pitch, channel="help")
    rows = await _held(fc)
    assert [(r.message_id, r.reasons) for r in rows] == [(third.message_id, ["cross_post"])]
    assert "also in #general, #random" in _mods(fc.sent)[0].text


async def test_copies_outside_the_window_or_short_ones_are_not_cross_posts(fc: Harness) -> None:
    pitch = "Hi all, I build websites cheaply, DM me for a quote"
    await fc.message("bob", pitch, channel="general")
    await fc.message("bob", pitch, channel="random")
    await fc.advance("11m")
    await fc.message("bob", pitch, channel="help")
    for channel in ("a", "b", "c"):
        await fc.message("carol", "thanks!", channel=channel)
    assert await _held(fc) == []


async def test_a_flood_is_held_and_only_the_first_hold_is_announced(fc: Harness) -> None:
    await fc.join("bob")
    fc.pop()
    for n in range(8):
        await fc.message("bob", f"buy now {n}")
    rows = await _held(fc)
    assert [r.text for r in rows] == ["buy now 5", "buy now 6", "buy now 7"]
    assert all(r.reasons == ["flood"] for r in rows)
    done = fc.pop()
    assert len([a for a in done if isinstance(a, Hide)]) == 3
    assert len([a for a in done if isinstance(a, DirectMessage)]) == 1
    assert len(_mods(done)) == 1


async def test_paced_messages_are_not_a_flood(fc: Harness) -> None:
    for n in range(8):
        await fc.message("bob", f"thinking out loud {n}")
        await fc.advance("3s")
    assert await _held(fc) == []


async def test_an_edit_that_adds_a_link_is_held(fc: Harness) -> None:
    await fc.join("bob")
    message = await fc.message("bob", "hello there")
    await fc.edit(message, "hello there, buy at https://spam.example")
    rows = await _held(fc)
    assert [(r.message_id, r.reasons) for r in rows] == [(message.message_id, ["links"])]


async def test_when_hiding_fails_the_message_stays_queued_and_moderators_know(
    fc: Harness,
) -> None:
    await fc.join("bob")
    fc.adapter.fail_next(PermanentError("missing Manage Messages", code="missing_permissions"))
    await fc.message("bob", "https://spam.example")
    rows = await _held(fc)
    assert [r.status for r in rows] == ["pending"] and rows[0].details["hidden"] is False
    notices = [a.text for a in _mods(fc.sent)]
    assert any("H1" in t for t in notices)
    assert any("missing_permissions" in t for t in notices)
    replies = await fc.command("mod", "approve H1")
    assert not [a for a in replies if isinstance(a, Post)]  # still visible: never posted twice
    assert "never hidden" in replies[-1].text


async def test_without_hide_support_moderators_are_told_it_is_visible(
    make: MakeHarness, sqlite_url: str
) -> None:
    h = await make(sqlite_url, capabilities=Capabilities(hide=False))
    await h.join("bob")
    await h.message("bob", "https://spam.example")
    assert not [a for a in h.sent if isinstance(a, Hide)]
    assert "still visible" in _mods(h.sent)[0].text
    assert len(await _held(h)) == 1


async def test_disabled_guard_holds_nothing(make: MakeHarness, sqlite_url: str) -> None:
    h = await make(sqlite_url, "first_contact:\n  enabled: false\n")
    await h.join("bob")
    await h.message("bob", "https://spam.example @everyone")
    assert await _held(h) == []


async def test_members_who_were_here_before_the_bot_are_established_by_default(
    make: MakeHarness, sqlite_url: str
) -> None:
    h = await make(sqlite_url, "community: {moderators_channel: mods}\n")
    await h.message("regular", "see https://example.com/guide for the details")
    await h.join("newbie")
    await h.message("newbie", "buy now at https://example.com/deal")
    assert [m.user_id for m in await _held(h)] == ["newbie"]
