"""Which lines open a question: interjections are no address."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rules.questions.rule import _starts_with_a_nick
from tests.harness import Harness
from tests.rules.questions.qhelpers import make, question


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Urr, can anyone help me?", False),
        ("alright, I'm trying to debug my manpages and can't get any", False),
        ("uhhh, where can I get a cross compiler?", False),
        ("hmmm, how do I mount it?", False),
        ("pues, ¿cómo lo instalo?", False),
        ("futsuriai, what program are you installing?", True),
        ("Samopotamus, in the bookmarks folder?", True),
    ],
)
def test_a_leading_interjection_is_no_nick(text: str, expected: bool) -> None:
    assert _starts_with_a_nick(text) is expected


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await make(f"sqlite:///{tmp_path / 'q.db'}")
    yield harness
    await harness.close()


async def test_a_question_after_a_stretched_interjection_is_tracked(h: Harness) -> None:
    q = await h.message("noiro", "uhhh, where can I get a cross compiler for sfml?")
    assert (await question(h, q.message_id)).state == "open"
