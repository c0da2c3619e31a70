"""A process's memory of channels' recent lines, kept across transactions while it is valid.

Every message of a watched channel needs the channel's recent lines. Within a transaction they
are read once and kept on the session (queries.py); this module keeps them after the commit too,
so the next batch (or the next single event, the usual case on Slack) reads no lines at all.

Validity: a transaction that changes a community's lines bumps the community's row of
`questions_lines_versions`, just before it commits. A transaction reads that version once per
community; the process's copy is used only when it was made at exactly that version. After a
commit the transaction's lines become the process's copy only when its own bump was the next
version after the one it read (no other transaction, replica or process, changed the lines in
between); otherwise the copy is dropped. A rolled-back transaction publishes nothing.

The periodic delete of lines older than a channel's horizon changes no version: reads filter by
time, and a copy never answers for times before its own start.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.fast import FastStatement
from bot.storage.hooks import after_commit, before_commit
from bot.text.addressing import NickIndex, addressed_users
from bot.text.exchange import ChatLine
from rules.questions.models import LINES_VERSIONS

KEEP = 200
"""Lines kept per channel: reads return at most this many (queries.RECENT_LIMIT)."""
TRIM_EVERY = timedelta(minutes=10)
"""A channel's lines older than its horizon are deleted at most this often (event time)."""

Place = tuple[str, str]


def _at(line: ChatLine) -> datetime:
    return line.at


class Talk(list[ChatLine]):
    """A channel's recent lines, oldest first, with an index of their authors' names (as they
    were when read) and whom a new line addresses among them (read once, when needed)."""

    __slots__ = ("addressed", "speakers")

    def __init__(self, lines: Iterable[ChatLine], speakers: NickIndex) -> None:
        list.__init__(self, lines)
        self.speakers = speakers
        self.addressed: tuple[str, ...] | None = None

    def addressed_by(self, line: ChatLine) -> tuple[str, ...]:
        """`addressed_users` of the line, these lines' authors known (computed once)."""
        if self.addressed is None:
            self.addressed = addressed_users(
                line.text, mentions=line.mentions, known_users=self.speakers
            )
        return self.addressed


class Recent:
    """A channel's lines from `since` on, in time order, and who wrote the last KEEP of them.

    `window()` is what a read returns: the last KEEP lines. `users` counts their authors and
    `speakers` indexes their names (for addressing), both kept up to date as lines are added
    and trimmed, so a message pays nothing to learn who spoke lately.
    """

    __slots__ = ("lines", "since", "speakers", "users")

    def __init__(self, since: datetime, lines: list[ChatLine]) -> None:
        self.since = since
        self.lines = lines
        self.users: dict[str, int] = {}
        self.speakers = NickIndex()
        self._recount()

    def _recount(self) -> None:
        users: dict[str, int] = {}
        for line in self.lines[-KEEP:]:
            users[line.user] = users.get(line.user, 0) + 1
        self.users = users
        self.speakers = NickIndex(users)

    def window(self) -> Talk:
        """The lines a read returns (the last KEEP), oldest first, with their speakers: valid
        until the lines change."""
        lines = self.lines
        return Talk(lines if len(lines) <= KEEP else lines[-KEEP:], self.speakers)

    def copy(self) -> Recent:
        """A copy that changes on its own."""
        return self._twin(list(self.lines), dict(self.users), self.speakers.copy())

    def kept(self) -> Recent:
        """The window alone, for the process to keep once the transaction that made this copy
        is over (the counts are shared: nothing changes them any more)."""
        return self._twin(self.lines[-KEEP:], self.users, self.speakers)

    def _twin(self, lines: list[ChatLine], users: dict[str, int], speakers: NickIndex) -> Recent:
        twin = Recent.__new__(Recent)
        twin.since, twin.lines, twin.users, twin.speakers = self.since, lines, users, speakers
        return twin

    def add(self, line: ChatLine) -> None:
        """Insert a line in time order, after lines of the same time (arrival order kept)."""
        lines = self.lines
        at = bisect_right(lines, line.at, key=_at)
        lines.insert(at, line)
        size = len(lines)
        if at >= size - KEEP:  # in the window: the line before the window's start left it
            self._count(line.user, 1)
            if size > KEEP:
                self._count(lines[size - KEEP - 1].user, -1)

    def trim(self, since: datetime) -> None:
        """Drop the lines before `since`; the copy starts there."""
        lines = self.lines
        cut = bisect_left(lines, since, key=_at)
        for line in lines[max(0, len(lines) - KEEP) : cut]:  # those that were in the window
            self._count(line.user, -1)
        del lines[:cut]
        self.since = since

    def keep(self, wanted: Callable[[ChatLine], bool]) -> None:
        """Keep only the lines `wanted` accepts (a deleted message, a forgotten member)."""
        self.lines[:] = [line for line in self.lines if wanted(line)]
        self._recount()

    def _count(self, user: str, step: int) -> None:
        users = self.users
        count = users.get(user, 0) + step
        if count:
            users[user] = count
            if count == 1 and step == 1:
                self.speakers.add(user)
        else:
            del users[user]
            self.speakers.discard(user)


_V = LINES_VERSIONS.c
_VERSION = FastStatement(select(_V.version).where(_V.community == bindparam("community")))


def _bump(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(LINES_VERSIONS).values(community=bindparam("community"), version=1)
    return statement.on_conflict_do_update(
        index_elements=[_V.community], set_={"version": _V.version + 1}
    ).returning(_V.version)


_BUMP = FastStatement(_bump)


@dataclass
class _Held:
    """One process's copy, per database."""

    versions: dict[str, int] = field(default_factory=dict)
    places: dict[Place, Recent] = field(default_factory=dict)
    trimmed: dict[Place, datetime] = field(default_factory=dict)

    def forget(self, community: str) -> None:
        for place in [p for p in self.places if p[0] == community]:
            del self.places[place]


@dataclass
class _Transaction:
    """What one transaction read and changed."""

    read: dict[str, int] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    everything: set[str] = field(default_factory=set)
    """Communities with lines changed in place (a delete): no copy of theirs is published."""
    bumped: dict[str, int] = field(default_factory=dict)
    held: _Held | None = None
    """The process's copy for this transaction's database (looked up once)."""


_BY_DATABASE: WeakKeyDictionary[Any, _Held] = WeakKeyDictionary()
_TX = "questions.line_cache"


def _held(session: AsyncSession) -> _Held:
    tx = _transaction(session)
    if tx.held is None:
        bind: Any = session.bind
        key = bind.sync_engine if bind is not None else None
        found = _BY_DATABASE.get(key)
        if found is None:
            found = _BY_DATABASE[key] = _Held()
        tx.held = found
    return tx.held


def _transaction(session: AsyncSession) -> _Transaction:
    found = session.info.get(_TX)
    if found is None:
        found = session.info[_TX] = _Transaction()
    return found


async def _checked(session: AsyncSession, community: str) -> tuple[_Held, _Transaction]:
    """The process's copy and this transaction's state, the community's version read once."""
    held, tx = _held(session), _transaction(session)
    if community not in tx.read:
        rows = await _VERSION.rows(session, {"community": community})
        version = rows[0][0] if rows else 0
        tx.read[community] = version
        if held.versions.get(community) != version:
            held.forget(community)
            held.versions[community] = version
    return held, tx


async def copy_for(
    session: AsyncSession, community: str, channel: str, since: datetime
) -> Recent | None:
    """This transaction's own copy of the channel's lines from `since`, when the process
    holds valid ones (else None: read them from the database)."""
    held, _ = await _checked(session, community)
    found = held.places.get((community, channel))
    if found is None or found.since > since:
        return None
    return found.copy()


def changed(session: AsyncSession, community: str, *, in_place: bool = False) -> None:
    """Lines of the community were written (`in_place`: deleted or edited, not only added)."""
    tx = _transaction(session)
    if community in tx.changed and not in_place and not tx.bumped:
        return  # (every message adds a line: the bump is queued already)
    tx.changed.add(community)
    if in_place:
        tx.everything.add(community)
    before_commit(session, _TX, _bump_versions)


def due_for_trim(session: AsyncSession, community: str, channel: str, horizon: datetime) -> bool:
    """Whether the channel's lines before `horizon` should be deleted now (then noted)."""
    trimmed = _held(session).trimmed
    place = (community, channel)
    last = trimmed.get(place)
    if last is not None and last <= horizon < last + TRIM_EVERY:
        return False
    trimmed[place] = horizon
    return True


async def _bump_versions(session: AsyncSession) -> None:
    tx = _transaction(session)
    for community in sorted(tx.changed):  # one order for every replica: no deadlock
        (row,) = await _BUMP.rows(session, {"community": community})
        tx.bumped[community] = row[0]
    cache: dict[Place, Recent] = session.info.get("questions.lines", {})
    pending: dict[Place, list[ChatLine]] = session.info.get("questions.pending", {})
    held = _held(session)

    def publish() -> None:
        for community, version in tx.bumped.items():
            held.versions[community] = version
            if tx.read.get(community) != version - 1 or community in tx.everything:
                held.forget(community)  # someone else changed them too, or in place: no copy
                continue
            # only this transaction changed them, by adding lines: copies of the channels it
            # did not touch stay valid at the new version; the ones it read are replaced
            for place, recent in cache.items():
                if place[0] == community:
                    held.places[place] = recent.kept()
            for place in pending:  # lines added where nothing was read: no copy of those
                if place[0] == community and place not in cache:
                    held.places.pop(place, None)

    after_commit(session, _TX, publish)
