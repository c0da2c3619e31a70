"""Every shipped rule on defaults (the `harness` fixture): held messages reach no other rule."""

from __future__ import annotations

from datetime import timedelta

from bot.actions import DirectMessage, Hide, NotifyModerators, Post
from rules.first_contact.store import held_messages
from rules.questions.store import open_questions
from tests.harness import Harness


async def test_defaults_welcome_and_hold_and_questions_never_see_held_ones(
    harness: Harness,
) -> None:
    await harness.join("bob", channel="general")
    welcome = [a for a in harness.pop() if isinstance(a, Post)]
    assert len(welcome) == 1 and welcome[0].text.startswith("Welcome to our circle, <@bob>!")
    await harness.message("bob", "How do I get more followers? https://buy-followers.example")
    done = harness.pop()
    assert any(isinstance(a, Hide) for a in done)
    assert any(isinstance(a, DirectMessage) and a.user == "bob" for a in done)
    assert any(isinstance(a, NotifyModerators) and "H1" in a.text for a in done)
    await harness.message("ann", "How do I configure the proxy on Ubuntu?")
    async with harness.engine.database.session() as session:
        held = await held_messages(session, harness.community)
        questions = await open_questions(
            session, harness.community, now=harness.clock.now() + timedelta(seconds=1)
        )
    assert [h.user for h in held] == ["bob"]
    assert [q.asker for q in questions] == ["ann"]  # tracked; the held one never was
