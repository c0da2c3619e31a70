"""A channel's held lines know who wrote the last KEEP of them, through every change."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.events import MessagePosted
from bot.storage.db import Database
from bot.text.addressing import NickIndex
from bot.text.exchange import ChatLine
from rules.questions import line_cache, queries
from rules.questions.line_cache import Recent

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
USERS = ["alice", "bob", "carol", "Carol_", "dave", "erin"]

_STEP = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 30), st.sampled_from(USERS)),
    st.tuples(st.just("trim"), st.integers(0, 30), st.just("")),
    st.tuples(st.just("keep"), st.integers(0, 30), st.sampled_from(USERS)),
)


def _agrees(recent: Recent) -> None:
    window = recent.window()
    assert recent.users == Counter(line.user for line in window)
    fresh = NickIndex({line.user for line in window})
    for name in USERS:  # (names of one nick key in any order, as a set of names gives them)
        got = recent.speakers.lookup(name, punctuated=True)
        assert sorted(got) == sorted(fresh.lookup(name, punctuated=True))
    assert [line.at for line in recent.lines] == sorted(line.at for line in recent.lines)


@settings(max_examples=200, deadline=None)
@given(st.lists(_STEP, max_size=60))
def test_the_counts_follow_adds_trims_and_deletes(steps: list[tuple[str, int, str]]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(line_cache, "KEEP", 5)  # a small window: lines leave it often
        recent = Recent(AT, [])
        for number, (kind, minutes, user) in enumerate(steps):
            at = AT + timedelta(minutes=minutes)
            if kind == "add":
                recent.add(ChatLine(id=f"m{number}", user=user, text="hi", at=at))
            elif kind == "trim":
                recent.trim(at)
            else:
                recent.keep(lambda line, gone=user: line.user != gone)
            _agrees(recent)
            twin = recent.copy()
            twin.add(ChatLine(id="x", user="zed", text="hi", at=at))
            _agrees(recent)  # a copy changes on its own
            _agrees(twin)


def _posted(message_id: str, user: str, minutes: int) -> MessagePosted:
    return MessagePosted(
        community="test:c",
        platform="test",
        event_id=message_id,
        user=user,
        at=AT + timedelta(minutes=minutes),
        channel="C1",
        message_id=message_id,
        text=f"line {message_id}",
    )


async def test_the_speakers_are_those_of_the_lines_read(database: Database) -> None:
    """Across transactions (the process's copy) and within one (lines added as they come)."""
    window = timedelta(minutes=30)
    events = [_posted(f"m{i}", USERS[i % 5], 4 * i) for i in range(20)]
    for start in range(0, len(events), 3):
        async with database.session() as session:
            for event in events[start : start + 3]:
                since = event.at - window
                lines = await queries.recent_lines(
                    session, community="test:c", channel="C1", since=since
                )
                fresh = NickIndex({line.user for line in lines})
                for name in USERS:
                    got = lines.speakers.lookup(name, punctuated=False)
                    assert sorted(got) == sorted(fresh.lookup(name, punctuated=False))
                await queries.remember_line(session, community="test:c", event=event, horizon=since)
