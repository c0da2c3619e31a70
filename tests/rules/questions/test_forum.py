"""Forum posts (Discord forum channels) through the engine: questions, the solved tag both ways."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.actions import Action, SetTags
from bot.adapter import Capabilities
from bot.events import MessagePosted, TagsChanged
from bot.rule import RuleRegistry
from rules.questions import Questions
from tests.harness import Harness
from tests.rules.questions.qhelpers import BASE_CONFIG, helpers_nudges, make, question, questions


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await make(f"sqlite:///{tmp_path / 'q.db'}")
    yield harness
    await harness.close()


async def post(h: Harness, user: str, text: str, *, post_id: str = "p1") -> MessagePosted:
    """A new forum post as the Discord adapter emits it: channel, thread, message = the post."""
    return await h.message(
        user, text, channel=post_id, message_id=post_id, thread=post_id, is_forum_post=True
    )


async def set_tags(h: Harness, user: str, *tags: str, post_id: str = "p1", **extra: Any) -> None:
    await h.send(
        TagsChanged(**h._common(user, **extra), channel=post_id, thread=post_id, tags=tags)
    )


def tag_actions(actions: list[Action]) -> list[SetTags]:
    return [a for a in actions if isinstance(a, SetTags)]


@pytest.mark.parametrize("text", ["Sound stopped after upgrade", "hi all", "Wayland"])
async def test_every_forum_post_is_a_question_whatever_its_text(h: Harness, text: str) -> None:
    await post(h, "alice", text)
    (row,) = await questions(h)
    assert (row.message_id, row.thread, row.state) == ("p1", "p1", "open")


async def test_forum_posts_can_be_left_to_detection(tmp_path: Path) -> None:
    extra = "questions:\n  forum_posts_are_questions: false\n"
    h = await make(f"sqlite:///{tmp_path / 'q.db'}", extra)
    try:
        await post(h, "alice", "Sound stopped after upgrade", post_id="p1")
        await post(h, "alice", "how do I get sound back after the upgrade?", post_id="p2")
        assert [r.message_id for r in await questions(h)] == ["p2"]
    finally:
        await h.close()


async def test_replies_inside_the_post_answer_it_and_open_nothing(h: Harness) -> None:
    await post(h, "alice", "Sound stopped after upgrade")
    await h.message("bob", "which card do you have?", channel="p1", thread="p1")
    (row,) = await questions(h)
    assert (row.state, row.answered_by) == ("answered", "bob")


async def test_an_unanswered_post_gets_the_helpers_nudge_in_the_post(h: Harness) -> None:
    await post(h, "alice", "Sound stopped after upgrade")
    await h.advance("16m")
    (nudge,) = helpers_nudges(h.pop())
    assert nudge.channel == "p1"


async def test_asker_thanks_solves_the_post_and_the_solved_tag_is_set(h: Harness) -> None:
    await post(h, "alice", "Sound stopped after upgrade")
    await h.message("bob", "reinstall pipewire", channel="p1", thread="p1")
    h.pop()
    await h.message("alice", "thanks, that worked!", channel="p1", thread="p1")
    (row,) = await questions(h)
    assert (row.state, row.close_reason) == ("solved", "marked_solved")
    (tags,) = tag_actions(h.pop())
    assert (tags.channel, tags.thread, tags.add, tags.remove) == ("p1", "p1", ("solved",), ())


async def test_check_mark_by_the_asker_sets_the_configured_solved_tag(tmp_path: Path) -> None:
    h = await make(f"sqlite:///{tmp_path / 'q.db'}", "questions:\n  solved_tag: Resolved\n")
    try:
        asked = await post(h, "alice", "Sound stopped after upgrade")
        await h.react("alice", asked, "white_check_mark")
        (tags,) = tag_actions(h.pop())
        assert tags.add == ("Resolved",)
    finally:
        await h.close()


async def test_moderator_command_sets_the_solved_tag(h: Harness) -> None:
    await post(h, "alice", "Sound stopped after upgrade")
    (row,) = await questions(h)
    done = await h.command("mod", f"answered Q{row.id}")
    (tags,) = tag_actions(done)
    assert tags.thread == "p1"
    assert (await question(h, "p1")).close_reason == "moderator"
    again = await h.command("mod", f"answered Q{row.id}")
    assert tag_actions(again) == []


@pytest.mark.parametrize("tag", ["solved", "Solved", "SOLVED"])
async def test_the_asker_setting_the_solved_tag_marks_it_solved(h: Harness, tag: str) -> None:
    await post(h, "alice", "Sound stopped after upgrade")
    h.pop()
    await set_tags(h, "alice", "audio", tag)
    row = await question(h, "p1")
    assert (row.state, row.close_reason) == ("solved", "marked_solved")
    assert tag_actions(h.pop()) == []  # the tag is already there
    await h.advance("1h")
    assert helpers_nudges(h.pop()) == []


async def test_a_moderator_setting_the_solved_tag_marks_it_solved(h: Harness) -> None:
    await post(h, "alice", "Sound stopped after upgrade")
    await set_tags(h, "mod", "solved")
    assert (await question(h, "p1")).state == "solved"


async def test_other_tags_or_other_members_do_not_solve_it(h: Harness) -> None:
    await post(h, "alice", "Sound stopped after upgrade")
    await set_tags(h, "alice", "audio", "needs-info")
    await set_tags(h, "bob", "solved")
    assert (await question(h, "p1")).state == "open"


async def test_tags_on_an_untracked_post_do_nothing(h: Harness) -> None:
    await set_tags(h, "alice", "solved", post_id="p9")
    assert await questions(h) == [] and h.pop() == []


async def test_no_tags_where_the_platform_has_none(tmp_path: Path) -> None:
    h = await Harness.create(
        f"sqlite:///{tmp_path / 'q.db'}",
        BASE_CONFIG,
        registry=RuleRegistry([Questions]),
        capabilities=Capabilities(forum_tags=False),
    )
    try:
        await h.message("alice", "how do I mount a usb disk?", message_id="t1", thread="t1")
        await h.message("alice", "thanks, solved it", thread="t1")
        assert (await question(h, "t1")).state == "solved"
        assert tag_actions(h.sent) == []
    finally:
        await h.close()


async def test_a_solved_thread_question_in_a_plain_channel_gets_no_tag(h: Harness) -> None:
    asked = await h.message("alice", "how do I mount a usb disk?")
    await h.react("alice", asked, "white_check_mark")
    assert (await question(h, asked.message_id)).state == "solved"
    assert tag_actions(h.sent) == []
