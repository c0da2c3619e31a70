"""The questions rule writes its rows with fast statements: no ORM flush on its hot path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from rules.questions.models import ChannelLine, Question, QuestionNudge
from tests.rules.questions.qhelpers import escalations, invitations, make, nudges, question

OWN = (Question, QuestionNudge, ChannelLine)


@pytest.fixture
def flushed() -> Iterator[list[str]]:
    """Names of this rule's objects that an ORM flush wrote while the test ran."""
    seen: list[str] = []

    def record(session: Session, *_args: object) -> None:
        for obj in [*session.new, *session.dirty, *session.deleted]:
            if isinstance(obj, OWN) and (obj in session.new or session.is_modified(obj)):
                seen.append(type(obj).__name__)

    event.listen(Session, "before_flush", record)
    yield seen
    event.remove(Session, "before_flush", record)


async def test_tracking_answers_edits_commands_and_the_ladder_flush_nothing(
    database_url: str, flushed: list[str]
) -> None:
    h = await make(database_url)
    start = h.clock.now()
    asked = await h.message("alice", "how do I mount a usb disk?")
    claimed = await h.message(
        "carol", "what is the best way to resize a partition?", channel="help"
    )
    gone = await h.message("dave", "anyone know how to list usb devices?", channel="dev")
    ladder = await h.message("erin", "how can I change the default shell?", channel="misc")
    await h.edit(gone, "anyone know how to list usb devices on a mac?")
    edited = await question(h, gone.message_id)
    assert edited.text == "anyone know how to list usb devices on a mac?"
    await h.delete(gone)
    [answer] = await h.command("mod", "claim Q2")
    assert "Q2 is yours" in answer.text
    [answer] = await h.command("mod", "snooze Q2 2d")
    assert "snoozed" in answer.text
    await h.advance("5m")
    await h.message("bob", "try udisksctl mount -b /dev/sdb1", thread=asked.message_id)
    await h.advance("31m")
    assert [i.user for i in invitations(h.pop())] == ["alice"]
    await h.react("alice", asked, "white_check_mark")
    await h.advance("25h")
    assert len(escalations(h.pop())) == 1
    await h.advance("7d")

    solved = await question(h, asked.message_id)
    assert (solved.state, solved.close_reason, solved.answered_by) == (
        "solved",
        "marked_solved",
        "bob",
    )
    assert solved.answered_at == start + timedelta(minutes=5)
    assert solved.invited_at == start + timedelta(minutes=35)
    assert solved.solved_at == start + timedelta(minutes=36)
    held = await question(h, claimed.message_id)
    assert (held.claimed_by, held.hold_until) == ("mod", start + timedelta(days=2))
    assert (held.state, held.close_reason) == ("closed", "expired")
    deleted = await question(h, gone.message_id)
    assert (deleted.state, deleted.close_reason, deleted.closed_at) == ("closed", "deleted", start)
    expired = await question(h, ladder.message_id)
    assert (expired.state, expired.close_reason) == ("closed", "expired")
    assert expired.escalation_pending is False
    levels = sorted(level for ident, level, _ in await nudges(h) if ident == expired.id)
    assert levels == ["escalation", "helpers", "moderators"]
    assert flushed == []
    await h.close()
