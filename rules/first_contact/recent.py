"""A new member's recent posts (flood and cross-post detection), as one transaction sees them.

What a transaction answers is what it answered when every post was an INSERT and a member's
first post of the transaction ran a DELETE of their posts older than its horizon: reads come
from a list made at the first read (from the stored rows) and pruned at every later post.

The statements are fewer. A member's first post of the transaction reads every row the member
has stored (few: the rows from their last prune on), and deletes the old ones only when there
are some. That copy of the member's stored rows then stands in for the table: posts are added
to it, the inserts are deferred to one `executemany` before the commit, and the member's later
reads in the transaction take it instead of a query. Forgetting a member empties it and drops
their queued inserts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.deferred_writes import defer, deferred
from bot.storage.fast import FastStatement
from rules.first_contact.models import RecentPost

_RECENT = cast(Table, RecentPost.__table__)
_C = _RECENT.c
_MEMBER = (_C.community == bindparam("community"), _C.user_id == bindparam("user"))
_FORGET_OLD_POSTS = FastStatement(
    delete(_RECENT).where(*_MEMBER, _C.posted_at < bindparam("keep_since"))
)
_POST_COLUMNS = ("community", "user_id", "channel", "message_id", "fingerprint")
_ADD_POST = FastStatement(
    insert(_RECENT).values(
        {name: bindparam(name) for name in (*_POST_COLUMNS, "significant", "posted_at")}
    )
)
_SELECT = select(_C.channel, _C.fingerprint, _C.significant, _C.posted_at)
_ORDER = (_C.posted_at, _C.id)
_USER_POSTS = FastStatement(
    _SELECT.where(*_MEMBER, _C.posted_at >= bindparam("since")).order_by(*_ORDER)
)
_ALL_USER_POSTS = FastStatement(_SELECT.where(*_MEMBER).order_by(*_ORDER))
_EVER = datetime.min.replace(tzinfo=UTC)
_STATE_KEY = "first_contact.recent"


@dataclass(frozen=True, slots=True)
class _Post:
    channel: str
    fingerprint: str
    significant: bool
    posted_at: datetime


@dataclass(slots=True)
class _Posts:
    """A member's posts as this transaction's reads see them: complete from `floor` on."""

    floor: datetime
    posts: list[_Post]


@dataclass(slots=True)
class _State:
    """One transaction's knowledge of members' recent posts."""

    lists: dict[tuple[str, str], _Posts] = field(default_factory=dict)
    trimmed: set[tuple[str, str]] = field(default_factory=set)
    """Members whose old posts this transaction pruned (at their first post)."""
    stored: dict[tuple[str, str], list[_Post]] = field(default_factory=dict)
    """Members' rows in the table as this transaction left them (queued inserts included)."""


def _state(session: AsyncSession) -> _State:
    found: Any = session.info.get(_STATE_KEY)
    if found is None:
        found = session.info[_STATE_KEY] = _State()
    return cast(_State, found)


async def _posts(session: AsyncSession, community: str, user: str, since: datetime) -> list[_Post]:
    """The member's posts since `since`: read once per transaction, then kept up to date."""
    state = _state(session)
    key = (community, user)
    entry = state.lists.get(key)
    if entry is None or entry.floor > since:
        stored = state.stored.get(key)
        if stored is not None:  # the table's rows of this member, without a query
            posts = [post for post in stored if post.posted_at >= since]
        else:  # no post of theirs in this transaction yet: none is queued
            params = {"community": community, "user": user, "since": since}
            posts = [_Post(*row) for row in await _USER_POSTS.rows(session, params)]
        entry = state.lists[key] = _Posts(since, posts)
    return [post for post in entry.posts if post.posted_at >= since]


async def remember_post(
    session: AsyncSession,
    *,
    community: str,
    user: str,
    channel: str,
    message_id: str,
    digest: str,
    significant: bool,
    now: datetime,
    keep_since: datetime,
) -> None:
    """Record a new member's message and drop their posts older than `keep_since`.

    The database prune runs at most once per member and transaction (not at all when no
    stored post is that old); this transaction's reads go through the member's post list,
    pruned at every call, so they never see a dropped post.
    """
    state = _state(session)
    key = (community, user)
    if key not in state.trimmed:
        state.trimmed.add(key)
        params = {"community": community, "user": user, "keep_since": keep_since}
        stored = state.stored.get(key)
        if stored is None:
            stored = [_Post(*row) for row in await _ALL_USER_POSTS.rows(session, params)]
        if any(post.posted_at < keep_since for post in stored):
            await _FORGET_OLD_POSTS.execute(session, params)
            stored = [post for post in stored if post.posted_at >= keep_since]
        state.stored[key] = stored
    values = {
        "community": community,
        "user_id": user,
        "channel": channel,
        "message_id": message_id,
        "fingerprint": digest,
        "significant": significant,
        "posted_at": now,
    }
    defer(session, _ADD_POST, values)
    post = _Post(channel, digest, significant, now)
    state.stored[key].append(post)
    entry = state.lists.get(key)
    if entry is not None:
        entry.posts = [p for p in entry.posts if p.posted_at >= keep_since]
        if keep_since >= entry.floor:
            entry.floor = _EVER  # everything older is dropped: the list is complete
        entry.posts.append(post)


async def posts_since(session: AsyncSession, *, community: str, user: str, since: datetime) -> int:
    """How many messages a new member posted since `since` (this one included once recorded)."""
    return len(await _posts(session, community, user, since))


async def channels_with_copy(
    session: AsyncSession, *, community: str, user: str, digest: str, since: datetime
) -> list[str]:
    """Distinct channels where the member posted this same text since `since`."""
    posts = await _posts(session, community, user, since)
    return sorted({p.channel for p in posts if p.fingerprint == digest and p.significant})


async def forget(session: AsyncSession, community: str, user: str) -> int:
    """Delete every recent post of the member (queued ones too); returns how many."""
    result = await session.execute(
        delete(RecentPost).where(RecentPost.community == community, RecentPost.user_id == user)
    )
    queued = deferred(session, _ADD_POST)
    kept = [row for row in queued if row["community"] != community or row["user_id"] != user]
    dropped = len(queued) - len(kept)
    queued[:] = kept
    state = _state(session)
    state.lists.pop((community, user), None)
    state.stored[(community, user)] = []  # the table has none of theirs now
    return int(getattr(result, "rowcount", 0) or 0) + dropped
