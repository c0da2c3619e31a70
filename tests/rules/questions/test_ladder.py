"""The nudge ladder through the engine: T1 helpers, T2 moderators, T3 grouped escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.actions import Post, Reply
from bot.storage.repos import Deadlines
from tests.rules.questions.qhelpers import (
    escalations,
    helpers_nudges,
    make,
    moderator_notes,
    nudges,
    question,
)


def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'q.db'}"


async def test_full_ladder_each_level_once_then_expiry(tmp_path: Path) -> None:
    h = await make(url(tmp_path))
    q = await h.message("alice", "how do I mount a usb disk?")
    await h.advance("14m")
    assert helpers_nudges(h.pop()) == []
    await h.advance("2m")
    [nudge] = helpers_nudges(h.pop())
    assert isinstance(nudge, Reply)
    assert (nudge.channel, nudge.message_id) == ("general", q.message_id)
    assert "alice" in nudge.text
    await h.advance("1h43m")
    assert moderator_notes(h.pop()) == []
    await h.advance("2m")
    [note] = moderator_notes(h.pop())
    assert note.card is not None and "Q1" in note.card.title
    assert [b.command for b in note.buttons] == [
        "claim Q1",
        "answered Q1",
        "snooze Q1 1h",
        "snooze Q1 1d",
    ]
    assert "alice" in note.text or any(
        "alice" in line for s in note.card.sections for line in s.lines
    )
    await h.advance("22h30m")
    [group] = escalations(h.pop())
    assert "Q1" in group.text
    await h.advance("7d")
    assert h.pop() == []
    row = await question(h, q.message_id)
    assert (row.state, row.close_reason) == ("closed", "expired")
    levels = [level for _, level, _ in await nudges(h)]
    assert levels == ["helpers", "moderators", "escalation"]
    await h.close()


async def test_answered_question_is_never_nudged(tmp_path: Path) -> None:
    h = await make(url(tmp_path), "questions:\n  invite_to_mark_solved: false\n")
    q = await h.message("alice", "how do I mount a usb disk?")
    await h.advance("10m")
    await h.message("bob", "udisksctl", thread=q.message_id)
    await h.advance("3d")
    assert h.pop() == []
    await h.close()


async def test_helpers_group_mention_or_thread_reply_is_configurable(tmp_path: Path) -> None:
    h = await make(url(tmp_path), "  helpers_group: '@helpers'\n")
    await h.message("alice", "how do I mount a usb disk?")
    await h.message("bob", "what is the best way to resize a partition?", channel="help")
    await h.advance("16m")
    texts = sorted(n.text for n in helpers_nudges(h.pop()))
    assert all(t.startswith("@helpers") for t in texts) and len(texts) == 2
    await h.close()

    h = await make(
        f"sqlite:///{tmp_path / 'b.db'}",
        "  helpers_group: '@helpers'\nquestions:\n  helpers_style: thread\n",
    )
    await h.message("alice", "how do I mount a usb disk?")
    await h.advance("16m")
    [nudge] = helpers_nudges(h.pop())
    assert "@helpers" not in nudge.text
    await h.close()


async def test_quiet_hours_hold_nudges_in_the_community_timezone(tmp_path: Path) -> None:
    config = (
        "  timezone: Europe/Madrid\n"
        "  quiet_hours: {start: '22:00', end: '08:00'}\n"
        "questions:\n  moderators_after: 12h\n"
    )
    start = datetime(2026, 11, 23, 20, 50, tzinfo=UTC)  # 21:50 in Madrid (UTC+1)
    h = await make(url(tmp_path), config, start=start)
    await h.message("alice", "how do I mount a usb disk?")
    await h.advance(timedelta(hours=10, minutes=9))  # 06:59 UTC = 07:59 in Madrid
    assert h.pop() == []
    await h.advance("2m")
    assert len(helpers_nudges(h.pop())) == 1
    [(_, level, at)] = await nudges(h)
    assert (level, at) == ("helpers", datetime(2026, 11, 24, 7, 0, tzinfo=UTC))
    await h.close()


async def test_per_channel_thresholds(tmp_path: Path) -> None:
    h = await make(url(tmp_path), "channels:\n  help:\n    questions:\n      helpers_after: 5m\n")
    await h.message("alice", "how do I mount a usb disk?", channel="help")
    await h.message("bob", "what is the best way to resize a partition?", channel="general")
    await h.advance("6m")
    assert [n.channel for n in helpers_nudges(h.pop())] == ["help"]
    await h.advance("10m")
    assert [n.channel for n in helpers_nudges(h.pop())] == ["general"]
    await h.close()


async def test_helpers_nudges_are_rate_limited_per_channel(tmp_path: Path) -> None:
    h = await make(url(tmp_path))
    asks = [
        ("alice", "how do I mount a usb disk?", "general"),
        ("bob", "what is the best way to resize a partition?", "general"),
        ("carol", "why does my wifi drop every few minutes?", "general"),
        ("dave", "how can I change the default shell?", "random"),
    ]
    for user, text, channel in asks:
        await h.message(user, text, channel=channel)
    await h.advance("15m")
    assert sorted(n.channel for n in helpers_nudges(h.pop())) == ["general", "random"]
    await h.advance("1m")
    assert helpers_nudges(h.pop()) == []
    await h.advance("1m")
    assert [n.channel for n in helpers_nudges(h.pop())] == ["general"]
    await h.advance("2m")
    assert [n.channel for n in helpers_nudges(h.pop())] == ["general"]
    times = sorted(at for _, level, at in await nudges(h) if level == "helpers")
    start = times[0]
    minutes = [int((t - start).total_seconds() // 60) for t in times]
    assert minutes == [0, 0, 2, 4]
    await h.close()


async def test_escalation_is_grouped_in_one_post(tmp_path: Path) -> None:
    h = await make(url(tmp_path))
    await h.message("alice", "how do I mount a usb disk?")
    await h.advance("5m")
    await h.message("bob", "what is the best way to resize a partition?", channel="help")
    await h.advance("24h15m")
    [post] = escalations(h.pop())
    assert isinstance(post, Post) and post.channel == "mods"
    assert "Q1" in post.text and "Q2" in post.text
    assert post.card is not None and len(post.card.sections[0].lines) == 2
    await h.close()


async def test_snoozed_question_waits(tmp_path: Path) -> None:
    h = await make(url(tmp_path))
    await h.message("alice", "how do I mount a usb disk?")
    await h.advance("2h1m")
    assert len(moderator_notes(h.pop())) == 1
    [answer] = await h.press("mod", "snooze Q1 1d")
    assert "snoozed" in answer.text
    await h.advance("23h")  # T3 (24h) passes while snoozed
    assert escalations(h.pop()) == []
    await h.advance("1h15m")
    assert len(escalations(h.pop())) == 1
    await h.close()


async def test_snooze_before_the_first_nudge_moves_it(tmp_path: Path) -> None:
    h = await make(url(tmp_path))
    await h.message("alice", "how do I mount a usb disk?")
    await h.advance("5m")
    await h.command("mod", "snooze Q1 1h")
    await h.advance("59m")
    assert helpers_nudges(h.pop()) == []
    await h.advance("2m")
    assert len(helpers_nudges(h.pop())) == 1
    await h.close()


async def test_claimed_question_waits_for_the_claim_hold(tmp_path: Path) -> None:
    h = await make(url(tmp_path), "questions:\n  claim_hold: 1d\n")
    q = await h.message("alice", "how do I mount a usb disk?")
    await h.advance("2h1m")
    h.pop()
    [answer] = await h.press("mod", "claim Q1")
    assert "yours" in answer.text
    assert (await question(h, q.message_id)).claimed_by == "mod"
    await h.advance("23h")
    assert escalations(h.pop()) == []
    await h.advance("1h30m")
    assert len(escalations(h.pop())) == 1
    await h.close()


async def test_no_second_nudge_at_the_same_level(tmp_path: Path) -> None:
    h = await make(url(tmp_path))
    await h.message("alice", "how do I mount a usb disk?")
    await h.advance("16m")
    assert len(helpers_nudges(h.pop())) == 1
    async with h.engine.database.session() as session:  # a stray deadline for a done level
        deadlines = Deadlines(session, community=h.community, rule="questions")
        await deadlines.set("q:1", h.clock.now(), {"step": "helpers"})
    await h.advance("2h")
    sent = h.pop()
    assert helpers_nudges(sent) == []
    assert len(moderator_notes(sent)) == 1
    assert [level for _, level, _ in await nudges(h)] == ["helpers", "moderators"]
    await h.close()


async def test_restart_mid_ladder_continues_where_it_was(tmp_path: Path) -> None:
    first = await make(url(tmp_path))
    await first.message("alice", "how do I mount a usb disk?")
    await first.advance("16m")
    assert len(helpers_nudges(first.pop())) == 1
    stopped_at = first.clock.now()
    await first.close()

    second = await make(url(tmp_path), start=stopped_at)
    await second.advance("1h45m")
    sent = second.pop()
    assert helpers_nudges(sent) == []
    assert len(moderator_notes(sent)) == 1
    await second.close()
