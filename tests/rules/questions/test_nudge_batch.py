"""Due ladder steps run as a group (loaded at once on PostgreSQL) nudge exactly as one by one."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from bot.storage.repos import Deadlines
from rules.questions import nudge_batch, tracking
from rules.questions.models import HELPERS, MODERATORS
from tests.rules.questions.qhelpers import helpers_nudges, make, moderator_notes, nudges, question

ASKED = [
    ("alice", "general", "how do I mount a usb disk?"),
    ("bob", "general", "what is the best way to resize a partition?"),
    ("carol", "help", "anyone know how to list usb devices?"),
    ("dave", "help", "how can I change the default shell?"),
    ("erin", "dev", "is there a way to see which process holds a port?"),
    ("frank", "dev", "how do I undo the last git commit?"),
]


async def test_a_group_of_due_steps_nudges_each_question_once_per_level(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared: list[list[int]] = []
    load = nudge_batch._QUESTIONS.rows

    async def counting(session: Any, params: Any) -> Any:
        prepared.append(params["ids"])
        return await load(session, params)

    monkeypatch.setattr(nudge_batch._QUESTIONS, "rows", counting)
    h = await make(database_url)
    asked = [await h.message(user, text, channel=channel) for user, channel, text in ASKED]
    await h.advance("16m")  # all six helpers steps fall due together: one group
    if database_url.startswith("postgres"):  # loaded at once there; SQLite reads each
        assert prepared[0] == [1, 2, 3, 4, 5, 6]
    else:
        assert prepared == []
    first = helpers_nudges(h.pop())
    # one helpers nudge per channel at a time (helpers_min_gap), the others moved later
    assert sorted(Counter(n.channel for n in first).values()) == [1, 1, 1]
    await h.advance("3m")
    second = helpers_nudges(h.pop())
    assert sorted(n.channel for n in second) == ["dev", "general", "help"]
    stored = await nudges(h)
    assert Counter(level for _, level, _ in stored) == {HELPERS: 6}

    # a step that runs again (a retried deadline) finds its nudge and sends nothing
    row = await question(h, asked[0].message_id)
    async with h.engine.database.session() as session:
        deadlines = Deadlines(session, community=h.community, rule="questions")
        await deadlines.set(tracking.ladder_key(row.id), h.clock.now(), {"step": HELPERS})
    await h.advance("1m")
    assert helpers_nudges(h.pop()) == []
    assert await nudges(h) == stored

    await h.advance("2h")  # the moderators' steps: one note per question
    assert len(moderator_notes(h.pop())) == 6
    levels = Counter(level for _, level, _ in await nudges(h))
    assert levels == {HELPERS: 6, MODERATORS: 6}
    await h.close()
