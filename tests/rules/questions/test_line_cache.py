"""A process keeps channels' recent lines across transactions, and never serves stale ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.events import MessagePosted
from bot.storage.db import Database
from rules.questions import line_cache, queries, store

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
COMMUNITY = "test:c"
WINDOW = timedelta(hours=2)


def _posted(message_id: str, user: str, minutes: int, channel: str = "C1") -> MessagePosted:
    return MessagePosted(
        community=COMMUNITY,
        platform="test",
        event_id=message_id,
        user=user,
        at=AT + timedelta(minutes=minutes),
        channel=channel,
        message_id=message_id,
        text=f"line {message_id}",
    )


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Channels whose lines were read from the database."""
    seen: list[str] = []
    original = queries._RECENT.rows

    async def counting(session: Any, params: Any) -> Any:
        seen.append(params["channel"])
        return await original(session, params)

    monkeypatch.setattr(queries._RECENT, "rows", counting)
    yield seen


async def _remember(db: Database, *events: MessagePosted) -> None:
    async with db.session() as session:
        for event in events:
            await queries.recent_lines(
                session, community=COMMUNITY, channel=event.channel, since=event.at - WINDOW
            )
            await queries.remember_line(
                session, community=COMMUNITY, event=event, horizon=event.at - WINDOW
            )


async def _ids(db: Database, minutes: int = 30, channel: str = "C1") -> list[str]:
    async with db.session() as session:
        since = AT + timedelta(minutes=minutes) - WINDOW
        lines = await queries.recent_lines(
            session, community=COMMUNITY, channel=channel, since=since
        )
        return [line.id for line in lines]


async def test_the_next_transaction_reads_no_lines(database: Database, reads: list[str]) -> None:
    await _remember(database, _posted("m1", "alice", 0), _posted("m2", "bob", 1))
    assert reads == ["C1"]  # the first transaction read the (empty) channel once
    assert await _ids(database) == ["m1", "m2"]
    await _remember(database, _posted("m3", "carol", 2))
    assert await _ids(database) == ["m1", "m2", "m3"]
    assert reads == ["C1"]  # every later transaction used the process's copy


async def test_another_process_writing_makes_the_copy_stale(
    database: Database, reads: list[str]
) -> None:
    await _remember(database, _posted("m1", "alice", 0))
    other = Database(str(database.engine.url))  # another process: its own copy
    try:
        await _remember(other, _posted("m2", "bob", 1))
    finally:
        await other.dispose()
    assert await _ids(database) == ["m1", "m2"]
    assert reads == ["C1", "C1", "C1"]  # ours, the other's, ours again (version moved on)


async def test_a_rolled_back_transaction_publishes_nothing(
    database: Database, reads: list[str]
) -> None:
    await _remember(database, _posted("m1", "alice", 0))
    with pytest.raises(RuntimeError):
        async with database.session() as session:
            event = _posted("m2", "bob", 1)
            await queries.recent_lines(
                session, community=COMMUNITY, channel="C1", since=event.at - WINDOW
            )
            await queries.remember_line(
                session, community=COMMUNITY, event=event, horizon=event.at - WINDOW
            )
            raise RuntimeError("a rule failed")
    assert await _ids(database) == ["m1"]


async def test_a_deleted_line_is_gone_from_every_copy(database: Database) -> None:
    await _remember(database, _posted("m1", "alice", 0), _posted("m2", "bob", 1))
    async with database.session() as session:
        await queries.forget_line(session, community=COMMUNITY, message_id="m1")
    assert await _ids(database) == ["m2"]


async def test_a_forgotten_member_leaves_no_line_in_a_copy(database: Database) -> None:
    await _remember(database, _posted("m1", "alice", 0), _posted("m2", "bob", 1, "C2"))
    assert await _ids(database, channel="C2") == ["m2"]
    async with database.session() as session:
        await store.forget_member(session, COMMUNITY, "bob")
    assert await _ids(database, channel="C2") == []
    assert await _ids(database) == ["m1"]


async def test_an_earlier_start_than_the_copy_reads_the_database(
    database: Database, reads: list[str]
) -> None:
    await _remember(database, _posted("m1", "alice", 0), _posted("m2", "bob", 100))
    assert await _ids(database, minutes=110) == ["m1", "m2"]
    assert reads == ["C1"]
    await _remember(database, _posted("m3", "carol", 125))  # the copy now starts at minute 5
    assert reads == ["C1"]
    # from minute -10: read again (m1 is older than the last horizon delete, stored or not)
    assert await _ids(database, minutes=110) == ["m2", "m3"]
    assert reads == ["C1", "C1"]


async def test_copies_keep_only_the_lines_a_read_can_return(database: Database) -> None:
    many = [_posted(f"m{i:03}", "alice", 0) for i in range(line_cache.KEEP + 50)]
    await _remember(database, *many)
    ids = await _ids(database, minutes=1)
    assert ids == [e.message_id for e in many][-queries.RECENT_LIMIT :]
    held = line_cache._BY_DATABASE[database.engine.sync_engine]
    assert all(len(recent.lines) <= line_cache.KEEP for recent in held.places.values())


async def test_a_batch_in_one_channel_keeps_the_copies_of_the_others(
    database: Database, reads: list[str]
) -> None:
    await _remember(database, _posted("m1", "alice", 0), _posted("m2", "bob", 1, "C2"))
    assert reads == ["C1", "C2"]
    await _remember(database, _posted("m3", "carol", 2))  # only C1 this time
    assert await _ids(database, channel="C2") == ["m2"]
    assert await _ids(database) == ["m1", "m3"]
    assert reads == ["C1", "C2"]  # neither channel was read again
