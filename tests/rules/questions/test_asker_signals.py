"""The asker's own words about their questions: which question a thanks, a "solved" or a
withdrawal is about, and which earlier question a new one folds into."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.harness import Harness
from tests.rules.questions.qhelpers import make, question, questions


@pytest.fixture
async def h(database_url: str) -> AsyncIterator[Harness]:
    harness = await make(database_url)  # both backends: the thread lookups are a UNION
    yield harness
    await harness.close()


async def _two_questions(h: Harness) -> tuple[str, str]:
    first = await h.message("alice", "how do I mount a usb disk?")
    await h.advance("1m")
    await h.message("carol", "the new release is out today, nice changelog")
    await h.advance("1m")
    second = await h.message("alice", "and how do I format a partition as ext4?")
    assert len(await questions(h)) == 2
    return first.message_id, second.message_id


async def test_a_thanks_in_a_thread_is_about_that_thread_s_question(h: Harness) -> None:
    first, second = await _two_questions(h)
    await h.message("bob", "udisksctl mount -b /dev/sdb1", thread=first)
    await h.message("alice", "thanks, that worked!", thread=first)
    assert (await question(h, first)).state == "solved"
    assert (await question(h, second)).state == "open"


async def test_a_thanks_outside_threads_is_about_the_latest_question_there(h: Harness) -> None:
    first, second = await _two_questions(h)
    await h.message("alice", "it works now, thank you")
    assert (await question(h, second)).state == "solved"
    assert (await question(h, first)).state == "open"
    await h.message("alice", "it works now, thank you")  # the latest live one is the first now
    assert (await question(h, first)).state == "solved"


async def test_a_withdrawal_in_a_thread_closes_only_an_open_question_there(h: Harness) -> None:
    first, second = await _two_questions(h)
    await h.message("alice", "nevermind", thread=second)
    assert (await question(h, second)).close_reason == "withdrawn"
    await h.message("alice", "nevermind", thread=second)  # closed already: nothing else
    assert (await question(h, first)).state == "open"


async def test_another_member_s_thread_holds_none_of_the_asker_s_questions(h: Harness) -> None:
    first, second = await _two_questions(h)
    other = await h.message("bob", "how do I list usb devices?")
    await h.message("alice", "thanks, that worked!", thread=other.message_id)
    assert (await question(h, first)).state == "open"
    assert (await question(h, second)).state == "open"
    assert (await question(h, other.message_id)).state == "answered"  # a reply in its thread


async def test_only_a_question_within_the_merge_window_takes_in_the_next(h: Harness) -> None:
    await h.message("alice", "how do I mount a usb disk?")
    await h.advance("9m")
    await h.message("alice", "is there a command for it?")
    assert len(await questions(h)) == 1  # the same asker going on
    await h.advance("11m")
    await h.message("alice", "and how do I format a partition as ext4?")
    assert len(await questions(h)) == 2  # both earlier lines are older than merge_window


async def test_an_answered_question_takes_in_no_follow_up_question(h: Harness) -> None:
    first = await h.message("alice", "how do I mount a usb disk?")
    await h.message("bob", "use udisksctl", thread=first.message_id)
    assert (await question(h, first.message_id)).state == "answered"
    await h.message("alice", "how do I format a partition as ext4?")
    assert len(await questions(h)) == 2


async def test_a_question_replied_in_a_thread_opens_nothing(h: Harness) -> None:
    first = await h.message("alice", "how do I mount a usb disk?")
    await h.message("bob", "how do I list usb devices?", thread=first.message_id)
    await h.message("alice", "is it an ntfs disk? nevermind, found it", thread=first.message_id)
    assert [row.message_id for row in await questions(h)] == [first.message_id]
    assert (await question(h, first.message_id)).state == "answered"  # bob's reply
