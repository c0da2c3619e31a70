"""The daily privacy job purges old text through the shipped stores' `purge_text`; counts stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from rules.first_contact.models import HeldMessage, Report
from rules.privacy import contract_stores
from rules.prompts.models import Suggestion
from rules.welcome.models import Newcomer
from tests.harness import Harness


async def test_old_text_is_purged_and_recent_or_pending_text_kept(database_url: str) -> None:
    h = await Harness.create(database_url, "privacy:\n  retention: 1d\n")
    now, old = h.clock.now(), h.clock.now() - timedelta(days=3)
    c = h.community
    async with h.engine.database.session() as session:
        session.add_all(
            [
                Newcomer(community=c, user_id="old", joined_at=old, last_joined_at=old,
                         introduced_at=old, intro_excerpt="Hi, I am old"),
                Newcomer(community=c, user_id="new", joined_at=now, last_joined_at=now,
                         introduced_at=now, intro_excerpt="Hi, I am new"),
                HeldMessage(community=c, user_id="u1", channel="C1", message_id="m1",
                            text="buy now http://spam", reasons=["links"], details={"a": 1},
                            held_at=old, status="rejected", decided_at=old),
                HeldMessage(community=c, user_id="u2", channel="C1", message_id="m2",
                            text="still waiting", reasons=["links"], details={},
                            held_at=old, status="pending"),
                Report(community=c, reporter="u3", text="he DMed me a pitch", reported_at=old),
                Suggestion(community=c, text="old idea", channel="C1", status="rejected",
                           votes=2, created_at=old, decided_at=old),
                Suggestion(community=c, text="open idea", channel="C1", status="pending",
                           votes=0, created_at=old),
            ]
        )  # fmt: skip
    await h.advance("1d")  # the job fires at 03:30 and purges what is older than a day
    async with h.engine.database.session() as session:
        intros = dict(
            (await session.execute(select(Newcomer.user_id, Newcomer.intro_excerpt))).all()
        )
        held = dict((await session.execute(select(HeldMessage.message_id, HeldMessage.text))).all())
        reports = (await session.scalars(select(Report.text))).all()
        ideas = dict((await session.execute(select(Suggestion.status, Suggestion.text))).all())
        votes = await session.scalar(select(func.sum(Suggestion.votes)))
    await h.close()
    assert intros == {"old": None, "new": "Hi, I am new"}
    assert held == {"m1": "", "m2": "still waiting"}  # pending messages wait for a decision
    assert reports == [""]
    assert ideas == {"rejected": "", "pending": "open idea"}
    assert votes == 2  # counts stay


def test_stores_with_message_text_offer_purge_text() -> None:
    offered = {s.__name__.split(".")[-2] for s in contract_stores() if hasattr(s, "purge_text")}
    assert {"welcome", "first_contact", "prompts"} <= offered
