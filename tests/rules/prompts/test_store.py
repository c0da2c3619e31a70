"""The prompts store on SQLite and PostgreSQL: queue order, library sync, privacy, engagement."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.storage.db import Database
from rules.prompts import store
from rules.prompts.models import PromptParticipant, Suggestion
from rules.prompts.settings import PromptSpec
from tests.harness import COMMUNITY, MONDAY_9AM

NOW = MONDAY_9AM


async def _database(url: str) -> Database:
    database = Database(url)
    await database.upgrade()
    return database


async def test_queue_order_and_next_prompt(database_url: str) -> None:
    database = await _database(database_url)
    async with database.session() as s:
        specs = [PromptSpec(text="Config serious?", tone="serious"), PromptSpec(text="Any one?")]
        await store.sync_library(s, COMMUNITY, specs, now=NOW)
        light = await store.add_prompt(s, COMMUNITY, text="Light one?", tone="light", now=NOW)
        low = await store.create_suggestion(
            s, COMMUNITY, text="Low votes?", user="u1", user_name="U1", channel="c", now=NOW
        )
        high = await store.create_suggestion(
            s, COMMUNITY, text="High votes?", user="u2", user_name="U2", channel="c", now=NOW
        )
        for voter in ("a", "b"):
            await store.change_vote(s, high, user=voter, emoji="+1", added=True)
        await store.change_vote(s, low, user="a", emoji="+1", added=True)
        for suggestion in (low, high):
            await store.add_prompt(
                s, COMMUNITY, text=suggestion.text, source="suggestion", now=NOW,
                suggestion_id=suggestion.id,
            )  # fmt: skip
    async with database.session() as s:
        order = [e.text for e in await store.queue(s, COMMUNITY)]
        assert order == ["High votes?", "Low votes?", "Config serious?", "Any one?", "Light one?"]
        serious = [e.text for e in await store.queue(s, COMMUNITY, tone="serious")]
        assert "Light one?" not in serious and "Any one?" in serious
        entries = await store.queue(s, COMMUNITY)
        store.mark_used(entries[0], NOW)
    async with database.session() as s:
        nxt = await store.next_prompt(s, COMMUNITY)
        assert nxt is not None and nxt.text == "Low votes?" and nxt.source == "suggestion"
        lights = await store.queue(s, COMMUNITY, tone="light")
        assert light is not None and light.id in [e.id for e in lights]
        assert "Config serious?" not in [e.text for e in lights]
        await store.sync_library(s, COMMUNITY, [PromptSpec(text="Any one?")], now=NOW)
    async with database.session() as s:
        texts = [e.text for e in await store.queue(s, COMMUNITY)]
        assert "Config serious?" not in texts  # removed from config: retired
    await database.dispose()


async def test_engagement_window_and_forget_member(database_url: str) -> None:
    database = await _database(database_url)
    async with database.session() as s:
        entry = await store.add_prompt(s, COMMUNITY, text="What are you reading?", now=NOW)
        assert entry is not None
        post = await store.record_post(s, COMMUNITY, entry=entry, channel="general", now=NOW)
        await store.set_post_message(s, post.id, message_id="m1", channel=None)
        old = await store.record_post(
            s, COMMUNITY, entry=entry, channel="general", now=NOW - timedelta(days=9)
        )
        assert old.id != post.id
    async with database.session() as s:
        found = await store.post_for_message(s, COMMUNITY, "m1")
        assert found is not None
        await store.count_reply(s, found, user="alice", at=NOW + timedelta(minutes=5))
        await store.count_reply(s, found, user="alice", at=NOW + timedelta(minutes=9))
        await store.count_reply(s, found, user="bob", at=NOW + timedelta(minutes=7))
        await store.create_suggestion(
            s, COMMUNITY, text="alice's idea?", user="alice", user_name="alice", channel="c",
            now=NOW,
        )  # fmt: skip
    async with database.session() as s:
        rows = await store.prompt_engagement(
            s, COMMUNITY, since=NOW - timedelta(days=7), until=NOW + timedelta(days=1)
        )
        assert [(r.replies, r.participants, r.first_reply_after) for r in rows] == [
            (3, 2, timedelta(minutes=5))
        ]
        assert await store.forget_member(s, COMMUNITY, "alice") >= 2
    async with database.session() as s:
        left = await s.scalar(select(func.count()).select_from(PromptParticipant))
        assert left == 1  # bob's row; alice's is gone
        assert await s.scalar(select(func.count()).select_from(Suggestion)) == 0
        rows = await store.prompt_engagement(
            s, COMMUNITY, since=NOW - timedelta(days=1), until=NOW + timedelta(days=1)
        )
        assert (rows[0].replies, rows[0].participants) == (3, 2)  # counts stay
    await database.dispose()
