"""Moderator commands: unanswered, answered, snooze, claim; refusals and help."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import Harness
from tests.rules.questions.qhelpers import make, question


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await make(f"sqlite:///{tmp_path / 'q.db'}")
    await harness.message("alice", "how do I mount a usb disk?", channel="help")
    await harness.advance("3h")
    await harness.message("bob", "what is the best way to resize a partition?")
    await harness.advance("10m")
    harness.pop()
    yield harness
    await harness.close()


async def test_unanswered_lists_open_questions_oldest_first(h: Harness) -> None:
    [answer] = await h.command("mod", "unanswered")
    assert answer.text.splitlines()[0] == "2 unanswered question(s)"
    assert answer.text.index("Q1") < answer.text.index("Q2")
    assert "alice" in answer.text and "#help" in answer.text


@pytest.mark.parametrize(
    ("args", "listed"),
    [("#help", ["Q1"]), ("general", ["Q2"]), ("1h", ["Q1"]), ("general 1h", []), ("4h", [])],
)
async def test_unanswered_filters_by_channel_and_age(
    h: Harness, args: str, listed: list[str]
) -> None:
    [answer] = await h.command("mod", f"unanswered {args}")
    found = [ref for ref in ("Q1", "Q2") if f"{ref} ·" in answer.text]
    assert found == listed
    if not listed:
        assert answer.text.startswith("No unanswered questions")


async def test_answered_marks_solved_by_moderator(h: Harness) -> None:
    [answer] = await h.command("mod", "answered Q1")
    assert "Q1" in answer.text and "marked answered" in answer.text
    row = await question(h, "m1")
    assert (row.state, row.close_reason) == ("solved", "moderator")
    [listing] = await h.command("mod", "unanswered")
    assert "Q1 ·" not in listing.text
    [again] = await h.command("mod", "answered 1")
    assert "already solved" in again.text


async def test_button_press_runs_the_command(h: Harness) -> None:
    [answer] = await h.press("mod", "answered Q2")
    assert "Q2" in answer.text
    assert (await question(h, "m3")).state == "solved"


@pytest.mark.parametrize("text", ["unanswered", "answered Q1", "snooze Q1 1h", "claim Q1"])
async def test_non_moderators_are_politely_refused(h: Harness, text: str) -> None:
    [answer] = await h.command("carol", text)
    assert answer.text.startswith("Sorry, `/circle")
    assert (await question(h, "m1")).state == "open"
    assert (await question(h, "m1")).claimed_by is None


async def test_platform_admins_may_run_them(h: Harness) -> None:
    [answer] = await h.command("owner", "claim Q1", is_admin=True)
    assert "yours" in answer.text


async def test_unknown_command_gets_the_help_text(h: Harness) -> None:
    [answer] = await h.command("mod", "frobnicate Q1")
    assert "I don't know `/circle frobnicate`" in answer.text
    for usage in ("unanswered [channel] [older-than]", "answered <question>", "claim <question>"):
        assert usage in answer.text


async def test_help_lists_the_commands(h: Harness) -> None:
    [answer] = await h.command("mod", "help")
    assert "snooze <question> <duration>" in answer.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("claim", "Usage: /circle claim"),
        ("claim Q99", "I don't know a question Q99"),
        ("snooze Q1", "Usage: /circle snooze"),
        ("snooze Q1 soon", "invalid duration"),
        ("answered banana", "Usage: /circle answered"),
    ],
)
async def test_bad_arguments_are_explained(h: Harness, text: str, expected: str) -> None:
    [answer] = await h.command("mod", text)
    assert expected in answer.text


async def test_claim_by_a_second_moderator_is_refused(tmp_path: Path) -> None:
    h = await make(f"sqlite:///{tmp_path / 'q.db'}", "    roles: [mods]\n")
    await h.message("alice", "how do I mount a usb disk?")
    await h.command("mod", "claim Q1")
    [answer] = await h.command("zoe", "claim Q1", roles=("mods",))
    assert "already taken by mod" in answer.text
    await h.close()
