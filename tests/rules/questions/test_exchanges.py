"""Answer signals in a flat channel where several exchanges interleave, through the engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import Harness
from tests.rules.questions.qhelpers import helpers_nudges, make, question


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await make(f"sqlite:///{tmp_path / 'q.db'}")
    yield harness
    await harness.close()


async def test_asker_thanking_who_responded_unaddressed_is_an_answer(h: Harness) -> None:
    q = await h.message("alice", "how do I mount a usb disk?")
    await h.message("bob", "udisksctl mount -b /dev/sdb1")
    await h.message("alice", "bob: ok, that mounted it", mentions=("bob",))
    row = await question(h, q.message_id)
    assert (row.state, row.answered_by, row.answer_kind) == ("answered", "bob", "asker_engaged")


async def test_reply_to_the_askers_own_advice_is_not_an_answer(h: Harness) -> None:
    await h.message("bob", "my printer stopped working after the upgrade, any idea?")
    await h.message("alice", "bob: sudo dpkg --purge hplip and install it again", mentions=("bob",))
    q = await h.message("alice", "does anyone know a launcher like katapult for gnome?")
    await h.message("bob", "alice: ok, purged it", mentions=("alice",))
    assert (await question(h, q.message_id)).state == "open"
    await h.advance("16m")
    assert len(helpers_nudges(h.pop())) == 1


async def test_member_asking_the_asker_for_their_own_help_is_not_an_answer(h: Harness) -> None:
    q = await h.message("alice", "does anyone know a launcher like katapult for gnome?")
    await h.message(
        "carol",
        "alice: I'm trying to save java to my disk and it says bad command",
        mentions=("alice",),
    )
    assert (await question(h, q.message_id)).state == "open"


async def test_asker_talking_to_a_member_with_a_live_question_is_helping(h: Harness) -> None:
    await h.message("bob", "how do I move the window buttons to the right?")
    q = await h.message("alice", "does ubuntu tweak still work on 11.04?")
    await h.message("bob", "I am looking in gconf-editor now")
    await h.message("alice", "bob, just search the web for it", mentions=("bob",))
    assert (await question(h, q.message_id)).state == "open"


async def test_asker_mentioning_a_member_in_the_third_person_is_no_answer(h: Harness) -> None:
    q = await h.message("alice", "is apparmor on by default in 11.10?")
    await h.message("bob", "xkill is the best way to kill a window")
    await h.message("alice", "xkill is good to know.. agreed with bob")
    assert (await question(h, q.message_id)).state == "open"


async def test_misspelt_nick_still_reaches_its_member(h: Harness) -> None:
    q = await h.message("alice", "how do I mount a usb disk?")
    await h.message("roberto", "udisksctl mount -b /dev/sdb1")
    await h.message("alice", "robreto: ok, that mounted it")
    row = await question(h, q.message_id)
    assert (row.state, row.answered_by) == ("answered", "roberto")
