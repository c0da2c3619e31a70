"""Writes deferred to the end of a batch: what a batch deletes or forgets is never written."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.events import ButtonPressed, Event, MessageDeleted, MessagePosted
from bot.storage.models import Member
from rules.digests.models import DailyActivity
from rules.questions.models import ChannelLine
from tests.harness import Harness

MODS = "community:\n  moderators:\n    users: [mod]\n"


def _posted(h: Harness, user: str, text: str, message_id: str) -> MessagePosted:
    return MessagePosted(
        **h._common(user),
        channel="general",
        channel_name="general",
        message_id=message_id,
        text=text,
    )


async def _stored(h: Harness, model: Any, column: Any) -> list[Any]:
    async with h.engine.database.session() as session:
        return sorted((await session.scalars(select(column))).all())


async def test_a_line_posted_and_deleted_in_one_batch_is_not_written(sqlite_url: str) -> None:
    h = await Harness.create(sqlite_url)
    first = _posted(h, "alice", "anyone around to help with grub?", "m1")
    gone = MessageDeleted(**h._common("alice"), channel="general", message_id="m1")
    batch: list[Event] = [first, _posted(h, "bob", "morning all", "m2"), gone]
    assert await h.engine.handle_batch(batch) == 3
    assert await _stored(h, ChannelLine, ChannelLine.message_id) == ["m2"]
    # the next batch reads the channel from the database: the deleted line is not there
    carol = await h.message("carol", "is there a way to list usb devices?")
    assert await _stored(h, ChannelLine, ChannelLine.message_id) == sorted(["m2", carol.message_id])
    await h.close()


async def test_forget_in_the_same_batch_leaves_no_line_or_count_of_the_member(
    sqlite_url: str,
) -> None:
    h = await Harness.create(sqlite_url, MODS)
    batch: list[Event] = [
        _posted(h, "alice", "how do I resize a partition?", "a1"),
        _posted(h, "alice", "it is ext4 on a laptop", "a2"),
        _posted(h, "bob", "use gparted from a live usb", "b1"),
        ButtonPressed(**h._common("mod"), channel="general", command="forget alice confirm"),
    ]
    assert await h.engine.handle_batch(batch) == 4
    assert await _stored(h, ChannelLine, ChannelLine.user) == ["bob"]
    users = await _stored(h, DailyActivity, DailyActivity.user)
    assert "alice" not in users and "bob" in users
    assert any(u.startswith("forgotten:") for u in users)  # alice's two messages still count
    async with h.engine.database.session() as session:
        alice = (await session.scalars(select(Member).where(Member.user_id == "alice"))).one()
    assert alice.name is None and alice.message_count == 2  # her queued upserts came first
    await h.close()
