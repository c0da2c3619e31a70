"""The first-contact store on SQLite and PostgreSQL: queue reads, decisions, forgetting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.storage.db import Database
from rules.first_contact import store

C = "test:circle"
T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)


def _values(user: str, channel: str, text: str) -> dict[str, object]:
    return {
        "user_id": user,
        "user_name": user.title(),
        "channel": f"C-{channel}",
        "channel_name": channel,
        "message_id": f"{user}-{channel}",
        "thread": None,
        "text": text,
        "reasons": ["links"],
        "details": {"hidden": True},
        "permalink": None,
    }


async def test_queue_reads_decisions_and_forgetting(database_url: str) -> None:
    database = Database(database_url)
    await database.upgrade()
    try:
        async with database.session() as session:
            first = await store.hold(
                session, community=C, values=_values("bob", "general", "a"), now=T0
            )
            await store.hold(
                session, community=C, values=_values("dan", "intro", "b"), now=T0 + timedelta(1)
            )
            await store.hold(
                session, community="test:other", values=_values("bob", "x", "c"), now=T0
            )
            await store.decide(session, first, status="approved", moderator="mod", now=T0)
            await store.add_report(
                session, community=C, reporter="bob", channel="general", text="pitch", now=T0
            )
        async with database.session() as session:
            pending = await store.held_messages(session, C)
            assert [(v.user, v.channel, v.text, v.reasons, v.status) for v in pending] == [
                ("dan", "intro", "b", ("links",), "pending")
            ]
            everything = await store.held_messages(session, C, status=None)
            assert [v.status for v in everything] == ["approved", "pending"]
            assert await store.held_in_channels(session, C, user="dan", channels={"intro"})
            assert not await store.held_in_channels(session, C, user="bob", channels={"intro"})
            assert await store.get_held(session, "test:other", first.id) is None
            assert await store.forget_member(session, C, "bob") == 2
        async with database.session() as session:
            forgotten = await store.held_messages(session, C, status="approved")
            assert [(v.user, v.user_name, v.text) for v in forgotten] == [
                (store.FORGOTTEN, None, "")
            ]
            assert len(await store.held_messages(session, "test:other")) == 1
    finally:
        await database.dispose()


async def test_recent_posts_count_floods_and_copies(database_url: str) -> None:
    database = Database(database_url)
    await database.upgrade()
    try:
        async with database.session() as session:
            for n, channel in enumerate(["a", "b", "b", "c"]):
                await store.remember_post(
                    session,
                    community=C,
                    user="bob",
                    channel=channel,
                    message_id=f"m{n}",
                    digest="same",
                    significant=True,
                    now=T0 + timedelta(seconds=n),
                    keep_since=T0 - timedelta(minutes=10),
                )
            since = T0 + timedelta(seconds=1)
            assert await store.posts_since(session, community=C, user="bob", since=since) == 3
            channels = await store.channels_with_copy(
                session, community=C, user="bob", digest="same", since=T0
            )
            assert channels == ["a", "b", "c"]
            await store.remember_post(
                session,
                community=C,
                user="bob",
                channel="d",
                message_id="late",
                digest="other",
                significant=True,
                now=T0 + timedelta(hours=1),
                keep_since=T0 + timedelta(minutes=50),
            )
            assert await store.posts_since(session, community=C, user="bob", since=T0) == 1
    finally:
        await database.dispose()


def test_held_references() -> None:
    assert store.held_ref(3) == "H3"
    assert [store.parse_held_ref(r) for r in ("H3", "h3", "3", "#3", "Q3", "H", "3x")] == [
        3,
        3,
        3,
        3,
        None,
        None,
        None,
    ]


async def test_one_transaction_answers_like_a_fresh_read_after_every_post(sqlite_url: str) -> None:
    """Posts, pruning and reads in one batch agree with a model of the stored semantics."""
    database = Database(sqlite_url)
    await database.upgrade()
    keep = timedelta(minutes=10)
    model: list[tuple[str, str, datetime]] = []  # (channel, digest, posted_at) still kept
    try:
        async with database.session() as session:
            # a read before any post in this transaction, with a late `since`
            assert await store.posts_since(session, community=C, user="eve", since=T0) == 0
            for n in range(40):
                now = T0 + timedelta(minutes=n)
                channel, digest = f"c{n % 3}", "same" if n % 4 else f"d{n}"
                await store.remember_post(
                    session,
                    community=C,
                    user="eve",
                    channel=channel,
                    message_id=f"m{n}",
                    digest=digest,
                    significant=True,
                    now=now,
                    keep_since=now - keep,
                )
                model = [p for p in model if p[2] >= now - keep] + [(channel, digest, now)]
                for back in (timedelta(minutes=2), keep, timedelta(hours=2)):
                    since = now - back
                    expected = [p for p in model if p[2] >= since]
                    got = await store.posts_since(session, community=C, user="eve", since=since)
                    assert got == len(expected), (n, back)
                    copies = await store.channels_with_copy(
                        session, community=C, user="eve", digest="same", since=since
                    )
                    assert copies == sorted({p[0] for p in expected if p[1] == "same"}), (n, back)
    finally:
        await database.dispose()
