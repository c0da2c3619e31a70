"""The nudges' question loader: a persistent session object, as `tracking.get_question` gives."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import insert, select

from bot.adapter import Capabilities
from bot.context import RuleContext
from rules.questions import nudges, tracking
from rules.questions.models import Question
from tests.harness import Harness
from tests.rules.questions.qhelpers import make


@pytest.fixture
async def h(database_url: str) -> AsyncIterator[Harness]:
    harness = await make(database_url)
    async with harness.engine.database.session() as session:
        await session.execute(
            insert(Question),
            [
                {
                    "community": community,
                    "channel": "help",
                    "message_id": f"m{n}",
                    "asker": "alice",
                    "asked_at": harness.clock.now(),
                    "text": "how?",
                    "escalation_pending": False,
                }
                for n, community in enumerate((harness.community, "test:other"), start=1)
            ],
        )
    yield harness
    await harness.close()


def context(h: Harness, session: object) -> RuleContext:
    return RuleContext(
        rule="questions",
        community=h.community,
        config=h.engine.config.for_community(h.community),
        session=session,  # type: ignore[arg-type]
        now=h.clock.now(),
        capabilities=Capabilities(),
    )


async def test_loaded_question_is_the_session_object_and_its_changes_are_stored(
    h: Harness,
) -> None:
    async with h.engine.database.session() as session:
        ctx = context(h, session)
        row = await nudges._question(ctx, 1)
        assert row is not None and (row.id, row.message_id, row.state) == (1, "m1", "open")
        assert row.asked_at == h.clock.now()  # types as a query would give them (aware time)
        assert row.escalation_pending is False
        assert await nudges._question(ctx, 1) is row
        assert await tracking.get_question(session, h.community, 1) is row
        assert not session.dirty and not session.new  # loaded, not changed
        row.escalation_pending = True
    async with h.engine.database.session() as session:
        stored = (await session.scalars(select(Question).where(Question.id == 1))).one()
        assert stored.escalation_pending is True


async def test_unknown_or_foreign_questions_are_none(h: Harness) -> None:
    async with h.engine.database.session() as session:
        ctx = context(h, session)
        assert await nudges._question(ctx, 2) is None  # another community's
        assert await nudges._question(ctx, 99) is None
        assert await tracking.get_question(session, h.community, 2) is None
