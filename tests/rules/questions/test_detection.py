"""Detection and answered/solved signals, through the engine with only the questions rule."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import Harness
from tests.rules.questions.qhelpers import invitations, make, question, questions

NOT_QUESTIONS = [
    "hi all",
    "hola a todos",
    "thanks!",
    "muchas gracias",
    "ok",
    "lol",
    "```\nsudo apt-get install foo\n```",
    "https://example.com/some/page",
]

QUESTIONS = [
    "how do I install python 3.12 on ubuntu?",
    "¿alguien sabe cómo configurar el proxy en apt?",
    "I'm getting this error when I run make: undefined reference to main",
    "any ideas why my wifi drops every few minutes",
    "looking for a library that parses yaml with comments",
]


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await make(f"sqlite:///{tmp_path / 'q.db'}")
    yield harness
    await harness.close()


@pytest.mark.parametrize("text", NOT_QUESTIONS)
async def test_not_a_question_is_not_tracked(h: Harness, text: str) -> None:
    await h.message("alice", text)
    assert await questions(h) == []


@pytest.mark.parametrize("text", QUESTIONS)
async def test_questions_and_help_requests_are_tracked(h: Harness, text: str) -> None:
    msg = await h.message("alice", text)
    rows = await questions(h)
    assert [(r.message_id, r.asker, r.state) for r in rows] == [(msg.message_id, "alice", "open")]


async def test_bot_messages_are_never_questions(h: Harness) -> None:
    await h.message("otherbot", "how do I reset my password?", is_bot=True)
    assert await questions(h) == []


async def test_ignored_and_unwatched_channels(tmp_path: Path) -> None:
    h = await make(
        f"sqlite:///{tmp_path / 'q.db'}",
        "questions:\n  watch: [help, general]\n  ignore: [general]\n",
    )
    await h.message("alice", "how do I mount a usb disk?", channel="general")
    await h.message("alice", "how do I mount a usb disk?", channel="random")
    asked = await h.message("bob", "how do I mount a usb disk?", channel="help")
    assert [r.message_id for r in await questions(h)] == [asked.message_id]
    await h.close()


async def test_follow_up_to_someone_in_an_exchange_opens_nothing(h: Harness) -> None:
    first = await h.message("alice", "how do I mount a usb disk?")
    await h.message("bob", "alice: try the disks app, what do you see there?", mentions=("alice",))
    await h.message("alice", "bob: which one is the disks app?", mentions=("bob",))
    assert [r.message_id for r in await questions(h)] == [first.message_id]


async def test_second_question_by_same_asker_is_merged(h: Harness) -> None:
    await h.message("alice", "how do I mount a usb disk?")
    await h.advance("2m")
    await h.message("alice", "is there a command for it?")
    assert len(await questions(h)) == 1


async def test_a_new_question_after_the_talk_moved_on_is_tracked_on_its_own(h: Harness) -> None:
    await h.message("alice", "how do I mount a usb disk?")
    await h.advance("1m")
    await h.message("carol", "the new release is out today, nice changelog")
    await h.advance("1m")
    await h.message("alice", "and how do I format a partition as ext4?")
    assert len(await questions(h)) == 2


async def test_thread_reply_by_another_member_answers(h: Harness) -> None:
    q = await h.message("alice", "how do I mount a usb disk?")
    await h.advance("3h")
    await h.message("bob", "use udisksctl mount -b /dev/sdb1", thread=q.message_id)
    row = await question(h, q.message_id)
    assert (row.state, row.answered_by, row.answer_kind) == ("answered", "bob", "thread_reply")
    assert row.close_reason == "answered_by_reply"


async def test_thread_reply_by_the_asker_does_not_answer(h: Harness) -> None:
    q = await h.message("alice", "how do I mount a usb disk?")
    await h.message("alice", "it is an ntfs disk", thread=q.message_id)
    assert (await question(h, q.message_id)).state == "open"


async def test_platform_reply_answers(h: Harness) -> None:
    q = await h.message("alice", "how do I mount a usb disk?")
    await h.advance("2h")
    await h.message("bob", "udisksctl does it", reply_to=q.message_id)
    row = await question(h, q.message_id)
    assert (row.state, row.answered_by, row.answer_kind) == ("answered", "bob", "platform_reply")


@pytest.mark.parametrize(("after", "answered"), [("10m", True), ("45m", False)])
async def test_flat_channel_addressed_answer_counts_within_the_window(
    h: Harness, after: str, answered: bool
) -> None:
    q = await h.message("alice", "how do I mount a usb disk?")
    await h.advance(after)
    await h.message("bob", "alice: use udisksctl", mentions=("alice",))
    row = await question(h, q.message_id)
    assert (row.state == "answered") is answered
    assert (row.answered_by == "bob") is answered


async def test_message_not_addressing_the_asker_does_not_answer(h: Harness) -> None:
    q = await h.message("alice", "how do I mount a usb disk?")
    await h.message("bob", "anyone tried the new kernel")
    assert (await question(h, q.message_id)).state == "open"


@pytest.mark.parametrize(
    ("reactor", "emoji", "state"),
    [
        ("alice", "white_check_mark", "solved"),
        ("mod", "white_check_mark", "solved"),
        ("carol", "white_check_mark", "open"),
        ("alice", "tada", "open"),
    ],
)
async def test_check_mark_by_asker_or_moderator_solves(
    h: Harness, reactor: str, emoji: str, state: str
) -> None:
    q = await h.message("alice", "how do I mount a usb disk?")
    await h.react(reactor, q, emoji)
    row = await question(h, q.message_id)
    assert row.state == state
    assert row.close_reason == ("marked_solved" if state == "solved" else None)


async def test_check_mark_by_asker_on_the_answer_solves_and_credits_the_helper(h: Harness) -> None:
    q = await h.message("alice", "how do I mount a usb disk?")
    answer = await h.message("bob", "udisksctl mount -b /dev/sdb1")
    await h.react("alice", answer, "white_check_mark")
    row = await question(h, q.message_id)
    assert (row.state, row.answered_by) == ("solved", "bob")


@pytest.mark.parametrize("text", ["bob: thanks, that worked!", "it works now, thank you"])
async def test_asker_thanks_or_says_solved(h: Harness, text: str) -> None:
    q = await h.message("alice", "how do I mount a usb disk?")
    await h.message("bob", "alice: udisksctl mount -b /dev/sdb1", mentions=("alice",))
    await h.message("alice", text, mentions=("bob",) if text.startswith("bob") else ())
    row = await question(h, q.message_id)
    assert (row.state, row.close_reason, row.answered_by) == ("solved", "marked_solved", "bob")


async def test_asker_withdraws(h: Harness) -> None:
    q = await h.message("alice", "how do I mount a usb disk?")
    await h.message("alice", "nevermind")
    row = await question(h, q.message_id)
    assert (row.state, row.close_reason) == ("closed", "withdrawn")


async def test_deleted_question_is_closed_and_never_nudged(h: Harness) -> None:
    q = await h.message("alice", "how do I mount a usb disk?")
    await h.delete(q)
    row = await question(h, q.message_id)
    assert (row.state, row.close_reason) == ("closed", "deleted")
    await h.advance("3d")
    assert h.pop() == []


async def test_edit_updates_the_excerpt(h: Harness) -> None:
    q = await h.message("alice", "how do I mount a usb disk?")
    await h.edit(q, "how do I mount an ntfs usb disk?")
    assert (await question(h, q.message_id)).text == "how do I mount an ntfs usb disk?"


async def test_one_gentle_invitation_to_mark_solved(h: Harness) -> None:
    q = await h.message("alice", "how do I mount a usb disk?")
    await h.message("bob", "use udisksctl", thread=q.message_id)
    await h.advance("29m")
    assert invitations(h.pop()) == []
    await h.advance("2m")
    sent = invitations(h.pop())
    assert len(sent) == 1
    assert (sent[0].user, sent[0].channel) == ("alice", "general")
    assert "✅" in sent[0].text and "bob" in sent[0].text
    await h.message("carol", "also try gnome-disks", thread=q.message_id)
    await h.advance("2d")
    assert invitations(h.pop()) == []


async def test_no_invitation_when_solved_first(h: Harness) -> None:
    q = await h.message("alice", "how do I mount a usb disk?")
    await h.message("bob", "use udisksctl", thread=q.message_id)
    await h.react("alice", q, "white_check_mark")
    await h.advance("1h")
    assert invitations(h.pop()) == []


async def test_forum_post_is_a_question(h: Harness) -> None:
    await h.message("alice", "Sound stopped after upgrade", is_forum_post=True, channel="help")
    assert len(await questions(h)) == 1


async def test_question_addressed_to_one_member_is_theirs_to_answer(h: Harness) -> None:
    await h.message("bob", "morning all")
    await h.message("alice", "bob: do you use KDE or GNOME?", mentions=("bob",))
    assert await questions(h) == []


async def test_have_you_tried_is_a_suggestion_not_a_question(h: Harness) -> None:
    await h.message("alice", "have you tried rebooting with nomodeset?")
    assert await questions(h) == []


async def test_a_helper_mid_exchange_asks_within_it_but_room_questions_are_new(h: Harness) -> None:
    await h.message("alice", "how do I mount a usb disk?")
    await h.message("bob", "alice: use udisksctl", mentions=("alice",))
    await h.advance("1m")
    await h.message("bob", "which filesystem is on it?")  # part of helping alice
    assert len(await questions(h)) == 1
    asked = await h.message("bob", "does anyone know a good markdown editor?")
    assert [r.message_id for r in await questions(h)][1:] == [asked.message_id]


async def test_helping_someone_is_not_an_answer_to_your_own_question(h: Harness) -> None:
    mine = await h.message("alice", "how do I mount a usb disk?")
    await h.advance("1m")
    theirs = await h.message("bob", "why does my wifi drop every few minutes?")
    await h.message("alice", "bob: check dmesg for firmware errors", mentions=("bob",))
    await h.message("bob", "alice: it says firmware missing", mentions=("alice",))
    assert (await question(h, mine.message_id)).state == "open"
    helped = await question(h, theirs.message_id)
    assert (helped.state, helped.answered_by) == ("answered", "alice")


@pytest.mark.parametrize(
    ("text", "tracked"),
    [
        ("futsuriai, what program are you trying to install?", False),
        ("zorglub: how did you mount it?", False),
        ("Question, how do I mount a usb disk?", True),
        ("btw: how do I mount a usb disk?", True),
    ],
)
async def test_irc_style_address_of_a_member_not_seen_lately(
    h: Harness, text: str, tracked: bool
) -> None:
    await h.message("alice", text)
    assert bool(await questions(h)) is tracked
