"""New members' recent posts across transactions: reads, prunes, queued inserts and forgetting
agree with the semantics they had when every post was written at once (both backends)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.fast import FastStatement
from rules.first_contact import recent, store
from rules.first_contact.models import RecentPost

C = "test:circle"
T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
EVER = datetime.min.replace(tzinfo=UTC)
Post = tuple[str, str, str, bool, datetime]  # user, channel, digest, significant, posted_at


@dataclass
class Oracle:
    """The stored semantics, as they were with an INSERT per post and a DELETE per member and
    transaction: the table, and one transaction's post lists (complete from `floor` on)."""

    table: list[Post] = field(default_factory=list)
    trimmed: set[str] = field(default_factory=set)
    lists: dict[str, tuple[datetime, list[Post]]] = field(default_factory=dict)

    def commit(self) -> None:
        self.trimmed, self.lists = set(), {}

    def remember(self, post: Post, keep_since: datetime) -> None:
        user = post[0]
        if user not in self.trimmed:
            self.trimmed.add(user)
            self.table = [p for p in self.table if p[0] != user or p[4] >= keep_since]
        self.table.append(post)
        if user in self.lists:
            floor, posts = self.lists[user]
            posts = [p for p in posts if p[4] >= keep_since] + [post]
            self.lists[user] = (EVER if keep_since >= floor else floor, posts)

    def read(self, user: str, since: datetime) -> list[Post]:
        found = self.lists.get(user)
        if found is None or found[0] > since:
            rows = [p for p in self.table if p[0] == user and p[4] >= since]
            found = self.lists[user] = (since, rows)
        return [p for p in found[1] if p[4] >= since]

    def forget(self, user: str) -> int:
        kept = [p for p in self.table if p[0] != user]
        gone = len(self.table) - len(kept)
        self.table = kept
        self.lists.pop(user, None)
        return gone


async def _stored(database: Database) -> list[tuple[str, str, str, bool, datetime]]:
    async with database.session() as session:
        rows = await session.execute(
            select(
                RecentPost.user_id,
                RecentPost.channel,
                RecentPost.fingerprint,
                RecentPost.significant,
                RecentPost.posted_at,
            ).where(RecentPost.community == C)
        )
        return sorted(tuple(row) for row in rows.all())  # type: ignore[misc]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_batches_of_posts_reads_and_forgetting_match_the_stored_semantics(
    database_url: str, seed: int
) -> None:
    rng = random.Random(seed)
    oracle = Oracle()
    database = Database(database_url)
    await database.upgrade()
    now = T0
    try:
        for batch in range(25):
            async with database.session() as session:
                for _step in range(rng.randint(1, 8)):
                    user = rng.choice(["ann", "bob", "cy"])
                    roll = rng.random()
                    if roll < 0.55:
                        now += timedelta(seconds=rng.choice([1, 5, 30, 90, 400, 1500]))
                        keep = timedelta(minutes=rng.choice([1, 10, 60]))  # per-channel windows
                        post = (
                            user,
                            rng.choice("abc"),
                            rng.choice(["x", "y"]),
                            rng.random() < 0.8,
                            now,
                        )
                        await store.remember_post(
                            session,
                            community=C,
                            user=user,
                            channel=post[1],
                            message_id=f"m{batch}-{_step}",
                            digest=post[2],
                            significant=post[3],
                            now=now,
                            keep_since=now - keep,
                        )
                        oracle.remember(post, now - keep)
                    elif roll < 0.95:
                        since = now - timedelta(seconds=rng.choice([5, 60, 600, 3600, 7200]))
                        expected = oracle.read(user, since)
                        got = await store.posts_since(session, community=C, user=user, since=since)
                        assert got == len(expected), (seed, batch, user, since)
                        copies = await store.channels_with_copy(
                            session, community=C, user=user, digest="x", since=since
                        )
                        assert copies == sorted({p[1] for p in expected if p[2] == "x" and p[3]})
                    else:
                        gone = await recent.forget(session, C, user)
                        assert gone == oracle.forget(user)
            oracle.commit()
            assert await _stored(database) == sorted(
                (u, ch, d, s, at) for u, ch, d, s, at in oracle.table
            )
    finally:
        await database.dispose()


async def test_a_read_reaching_before_the_list_sees_the_queued_posts(database_url: str) -> None:
    database = Database(database_url)
    await database.upgrade()
    common: dict[str, Any] = {"community": C, "user": "eve", "digest": "d", "significant": True}
    try:
        async with database.session() as session:
            late = T0 + timedelta(minutes=5)
            assert await store.posts_since(session, community=C, user="eve", since=late) == 0
            for n in range(3):  # kept from T0 on: older than the list's floor
                now = late + timedelta(seconds=n)
                await store.remember_post(
                    session, channel=f"c{n}", message_id=f"m{n}", now=now, keep_since=T0, **common
                )
            assert await store.posts_since(session, community=C, user="eve", since=T0) == 3
            copies = await store.channels_with_copy(
                session, community=C, user="eve", digest="d", since=T0
            )
            assert copies == ["c0", "c1", "c2"]
            assert await recent.forget(session, C, "eve") == 3
            await store.remember_post(
                session, channel="c9", message_id="m9", now=late, keep_since=T0, **common
            )
            assert await store.posts_since(session, community=C, user="eve", since=T0) == 1
        assert [row[1] for row in await _stored(database)] == ["c9"]
    finally:
        await database.dispose()


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, FastStatement, int]]]:
    """(method, statement, rows written) of every fast statement run while the test runs."""
    seen: list[tuple[str, FastStatement, int]] = []
    rows, execute, executemany = (
        FastStatement.rows,
        FastStatement.execute,
        FastStatement.executemany,
    )

    async def spy_rows(self: FastStatement, session: Any, params: Any) -> Any:
        seen.append(("rows", self, 0))
        return await rows(self, session, params)

    async def spy_execute(self: FastStatement, session: Any, params: Any) -> Any:
        seen.append(("execute", self, 1))
        return await execute(self, session, params)

    async def spy_executemany(self: FastStatement, session: Any, many: Any) -> Any:
        seen.append(("executemany", self, len(many)))
        return await executemany(self, session, many)

    monkeypatch.setattr(FastStatement, "rows", spy_rows)
    monkeypatch.setattr(FastStatement, "execute", spy_execute)
    monkeypatch.setattr(FastStatement, "executemany", spy_executemany)
    yield seen


async def test_a_batch_reads_a_member_once_and_writes_its_posts_at_commit(
    sqlite_url: str, statements: list[tuple[str, FastStatement, int]]
) -> None:
    database = Database(sqlite_url)
    await database.upgrade()
    common: dict[str, Any] = {"community": C, "user": "eve", "digest": "d", "significant": True}
    keep = timedelta(minutes=10)
    try:
        for batch in range(2):
            statements.clear()
            async with database.session() as session:
                for n in range(5):
                    now = T0 + timedelta(minutes=batch * 30, seconds=n)
                    await store.remember_post(
                        session, channel="c", message_id=f"m{batch}{n}", now=now,
                        keep_since=now - keep, **common,
                    )  # fmt: skip
                    assert (
                        await store.posts_since(session, community=C, user="eve", since=now - keep)
                        == n + 1
                    )
            mine = [(m, s, n) for m, s, n in statements if s in _RECENT_STATEMENTS]
            deletes = [("execute", recent._FORGET_OLD_POSTS, 1)] if batch else []
            assert mine == [
                ("rows", recent._ALL_USER_POSTS, 0),
                *deletes,  # the second batch finds the first one's posts past its horizon
                ("executemany", recent._ADD_POST, 5),
            ]
        assert len(await _stored(database)) == 5
    finally:
        await database.dispose()


_RECENT_STATEMENTS = {
    recent._ALL_USER_POSTS,
    recent._USER_POSTS,
    recent._FORGET_OLD_POSTS,
    recent._ADD_POST,
}
