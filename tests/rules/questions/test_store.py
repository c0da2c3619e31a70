"""The cross-rule read functions of rules/questions/store.py, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from bot.storage.members import Members
from rules.questions import store
from tests.harness import MONDAY_9AM
from tests.rules.questions.qhelpers import make, question, questions


async def test_contract_functions(database_url: str) -> None:
    h = await make(database_url)
    first = await h.message("alice", "how do I mount a usb disk?", permalink="https://x/p/1")
    await h.advance("5m")
    await h.message("bob", "alice: udisksctl mount -b /dev/sdb1", mentions=("alice",))
    await h.advance("1h")
    second = await h.message("carol", "what is the best way to resize a partition?", channel="help")
    await h.advance("10m")
    await h.message("bob", "gparted", thread=second.message_id, channel="help")
    await h.react("carol", second, "white_check_mark")
    await h.advance("2h")
    third = await h.message("dave", "why does my wifi drop every few minutes?")
    await h.advance("30m")
    now = h.clock.now()

    async with h.engine.database.session() as session:
        open_now = await store.open_questions(session, h.community, now=now)
        assert [(v.asker, v.state, v.channel) for v in open_now] == [("dave", "open", "general")]
        view = open_now[0]
        assert view.message_id == third.message_id and view.excerpt.startswith("why does")
        assert await store.open_questions(session, h.community, now=now, channel="help") == []
        older = await store.open_questions(
            session, h.community, now=now, older_than=timedelta(hours=1)
        )
        assert older == []
        mine = await store.open_questions(session, h.community, now=now, asker="dave", limit=1)
        assert [v.ref for v in mine] == [f"Q{view.id}"]

        stats = await store.answer_stats(
            session, h.community, since=MONDAY_9AM, until=now + timedelta(seconds=1)
        )
        assert (stats.asked, stats.answered, stats.solved) == (3, 2, 1)
        assert stats.median_first_answer == timedelta(minutes=7, seconds=30)
        counts = await store.helper_counts(
            session, h.community, since=MONDAY_9AM, until=now + timedelta(seconds=1)
        )
        assert counts == [("bob", 2)]

        erased = await store.forget_member(session, h.community, "alice")
        assert erased >= 1
        assert await Members(session, community=h.community).get("alice") is not None

    row = await question(h, first.message_id)
    assert (row.asker, row.text, row.permalink) == (store.FORGOTTEN, "", None)
    assert len(await questions(h)) == 3  # counts stay
    async with h.engine.database.session() as session:
        stats = await store.answer_stats(
            session, h.community, since=MONDAY_9AM, until=now + timedelta(seconds=1)
        )
        assert (stats.asked, stats.answered) == (3, 2)
        await store.forget_member(session, h.community, "bob")
        assert await store.helper_counts(session, h.community, since=MONDAY_9AM, until=now) == []
    await h.close()


async def test_permalink_is_kept_and_shown_in_the_moderator_nudge(database_url: str) -> None:
    h = await make(database_url)
    await h.message("alice", "how do I mount a usb disk?", permalink="https://x/p/1")
    await h.advance("2h1m")
    notes = [a for a in h.pop() if (a.tag or "").startswith("questions:moderators")]
    assert len(notes) == 1 and "https://x/p/1" in notes[0].text
    await h.close()


async def test_purge_text_erases_settled_questions_only(database_url: str) -> None:
    h = await make(database_url)
    answered = await h.message("alice", "how do I mount a usb disk?")
    await h.message("bob", "udisksctl", thread=answered.message_id)
    await h.advance("1h")
    waiting = await h.message("carol", "why does my wifi drop every few minutes?")
    await h.advance("2d")
    async with h.engine.database.session() as session:
        erased = await store.purge_text(session, h.community, before=h.clock.now())
    assert erased >= 1
    assert (await question(h, answered.message_id)).text == ""
    assert (await question(h, waiting.message_id)).text.startswith("why does")
    assert len(await questions(h)) == 2
    await h.close()
