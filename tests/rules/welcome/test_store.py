"""The welcome store on SQLite and PostgreSQL: newcomers for digests, and forgetting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.storage import repos
from bot.storage.db import Database
from rules.welcome import store

C = "test:circle"
T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)


async def test_newcomers_and_forget_member(database_url: str) -> None:
    database = Database(database_url)
    await database.upgrade()
    try:
        async with database.session() as session:
            for n, user in enumerate(["ann", "bob", "cy"]):
                await store.record_join(
                    session,
                    community=C,
                    user=user,
                    name=user.title(),
                    channel="general",
                    at=T0 + timedelta(days=n),
                )
            await store.record_join(
                session, community="test:other", user="ann", name=None, channel=None, at=T0
            )
            bob = await store.get(session, C, "bob")
            assert bob is not None
            bob.introduced_at = T0 + timedelta(days=1, hours=2)
            bob.intro_excerpt = "Hi, I'm Bob"
            await repos.Deadlines(session, community=C, rule="welcome").set(
                store.follow_up_key("cy"), T0 + timedelta(days=5)
            )
        async with database.session() as session:
            views = await store.newcomers(session, C, since=T0 + timedelta(hours=1))
            assert [(v.user, v.name, v.intro_excerpt) for v in views] == [
                ("bob", "Bob", "Hi, I'm Bob"),
                ("cy", "Cy", None),
            ]
            assert views[0].joined_at == T0 + timedelta(days=1)
            assert views[0].introduced_at == T0 + timedelta(days=1, hours=2)
            assert await store.joins_since(session, C, since=T0) == 3
            assert await store.forget_member(session, C, "cy") == 1
            deadline = await repos.Deadlines(session, community=C, rule="welcome").get(
                store.follow_up_key("cy")
            )
            assert deadline is None
        async with database.session() as session:
            assert [v.user for v in await store.newcomers(session, C, since=T0)] == ["ann", "bob"]
            assert len(await store.newcomers(session, "test:other", since=T0)) == 1
    finally:
        await database.dispose()
