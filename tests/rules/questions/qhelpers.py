"""Shared helpers of the questions tests: a harness with only the questions rule, row lookups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.actions import Action, Ephemeral, Post, Reply
from bot.rule import RuleRegistry
from rules.questions import Questions
from rules.questions.models import Question, QuestionNudge
from tests.harness import MONDAY_9AM, Harness

BASE_CONFIG = """
community:
  moderators_channel: mods
  moderators:
    users: [mod]
"""


async def make(url: str, extra: str = "", *, start: datetime = MONDAY_9AM) -> Harness:
    """A harness running only the questions rule, with `mod` as moderator."""
    return await Harness.create(
        url, BASE_CONFIG + extra, registry=RuleRegistry([Questions]), start=start
    )


async def questions(h: Harness) -> list[Question]:
    async with h.engine.database.session() as session:
        return list((await session.scalars(select(Question).order_by(Question.id))).all())


async def question(h: Harness, message_id: str) -> Question:
    for row in await questions(h):
        if row.message_id == message_id:
            return row
    raise AssertionError(f"{message_id} is not tracked")


async def nudges(h: Harness) -> list[tuple[int, str, datetime]]:
    async with h.engine.database.session() as session:
        rows = (await session.scalars(select(QuestionNudge).order_by(QuestionNudge.id))).all()
        return [(n.question_id, n.level, n.at) for n in rows]


def helpers_nudges(actions: list[Action]) -> list[Reply]:
    return [a for a in tagged(actions, "helpers") if isinstance(a, Reply)]


def tagged(actions: list[Action], prefix: str) -> list[Action]:
    """Actions whose tag starts with `questions:<prefix>`."""
    return [a for a in actions if (a.tag or "").startswith(f"questions:{prefix}")]


def moderator_notes(actions: list[Action]) -> list[Action]:
    """T2 nudges, delivered as posts in the moderators' channel."""
    notes = tagged(actions, "moderators")
    assert all(isinstance(a, Post) and a.channel == "mods" for a in notes)
    return notes


def escalations(actions: list[Action]) -> list[Action]:
    return tagged(actions, "escalation")


def invitations(actions: list[Action]) -> list[Ephemeral]:
    return [a for a in tagged(actions, "invite") if isinstance(a, Ephemeral)]
