"""`unanswered <channel>`: a channel by id or by name, oldest first, at most LIST_LIMIT."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from rules.questions.commands import LIST_LIMIT
from rules.questions.models import Question
from tests.harness import Harness
from tests.rules.questions.qhelpers import make


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await make(f"sqlite:///{tmp_path / 'q.db'}")
    yield harness
    await harness.close()


async def ask(h: Harness, rows: list[tuple[str, str | None, str, int]]) -> None:
    """Open questions (channel id, channel name, state, minutes ago), stored directly."""
    now = h.clock.now()
    async with h.engine.database.session() as session:
        await session.execute(
            insert(Question),
            [
                {
                    "community": h.community,
                    "channel": channel,
                    "channel_name": name,
                    "message_id": f"m{n}",
                    "asker": "alice",
                    "asked_at": now - timedelta(minutes=ago),
                    "text": f"question {n}?",
                    "state": state,
                    "escalation_pending": False,
                }
                for n, (channel, name, state, ago) in enumerate(rows, start=1)
            ],
        )


def listed(text: str) -> list[str]:
    return [line.split(" ·")[0] for line in text.splitlines()[1:]]


async def test_a_channel_is_found_by_id_and_by_name_oldest_first(h: Harness) -> None:
    await ask(
        h,
        [
            ("C1", "help", "open", 30),  # Q1
            ("help", None, "open", 50),  # Q2: stored before names were known (id only)
            ("C1", "help", "solved", 60),  # Q3: not open
            ("C2", "random", "open", 90),  # Q4: another channel
            ("C1", "help", "open", 10),  # Q5
        ],
    )
    [by_name] = await h.command("mod", "unanswered #help")
    assert listed(by_name.text) == ["Q1", "Q5"]
    [either] = await h.command("mod", "unanswered help")  # Q2's id, the others' name
    assert listed(either.text) == ["Q2", "Q1", "Q5"]
    [by_id] = await h.command("mod", "unanswered C1")
    assert listed(by_id.text) == ["Q1", "Q5"]
    [older] = await h.command("mod", "unanswered help 20m")
    assert listed(older.text) == ["Q2", "Q1"]
    [none] = await h.command("mod", "unanswered #nowhere")
    assert none.text.startswith("No unanswered questions in #nowhere")


async def test_a_busy_channel_lists_its_oldest_questions_only(h: Harness) -> None:
    rows: list[tuple[str, str | None, str, int]] = [
        ("C1", "help", "open", 1000 - n) if n % 2 else ("help", None, "open", 1000 - n)
        for n in range(LIST_LIMIT + 5)  # by name and by id, alternately, newer and newer
    ]
    rows.reverse()  # stored newest first: the listing's order comes from asked_at
    await ask(h, rows)
    [answer] = await h.command("mod", "unanswered help")
    assert answer.text.splitlines()[0] == f"{LIST_LIMIT} unanswered question(s) in #help"
    assert listed(answer.text) == [f"Q{LIST_LIMIT + 5 - n}" for n in range(LIST_LIMIT)]
