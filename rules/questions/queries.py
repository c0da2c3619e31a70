"""The questions rule's per-message queries: fast statements and a per-transaction line cache.

Every message a watched channel receives asks the same things: the channel's recent lines, the
open questions it could answer, the author's own live questions. These run as `FastStatement`s
(bot/storage/fast.py). A channel's recent lines are read once and then kept on the session, with
the batch's own lines appended; after the commit the process keeps them for the next
transactions while no one else changed the community's lines (line_cache.py). The horizon
delete of old lines runs at most every ten minutes of event time per channel.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, or_, select, union
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.events import MessagePosted
from bot.storage.deferred_writes import defer, deferred
from bot.storage.fast import FastStatement, adopt, full_select
from bot.text.exchange import ChatLine, OpenQuestion
from rules.questions import line_cache
from rules.questions.line_cache import Recent, Talk
from rules.questions.models import ANSWERED, LINES, OPEN, Question

TEXT_LIMIT = 1000
RECENT_LIMIT = line_cache.KEEP
"""At most this many recent lines of a channel are considered (busy channels stay cheap)."""

_LIVE = {"open": OPEN, "answered": ANSWERED}
_Q = Question.__table__.c
_live_state = or_(_Q.state == bindparam("open"), _Q.state == bindparam("answered"))

_RECENT_COLUMNS = ("message_id", "user", "text", "at", "mentions", "reply_to", "thread")
_RECENT = FastStatement(
    select(*(LINES.c[name] for name in _RECENT_COLUMNS))
    .where(
        LINES.c.community == bindparam("community"),
        LINES.c.channel == bindparam("channel"),
        LINES.c.at >= bindparam("since"),
    )
    .order_by(LINES.c.at.desc(), LINES.c.id.desc())
    .limit(RECENT_LIMIT)
)
_FORGET_OLD = FastStatement(
    delete(LINES).where(
        LINES.c.community == bindparam("community"),
        LINES.c.channel == bindparam("channel"),
        LINES.c.at < bindparam("horizon"),
    )
)
_LINE_COLUMNS: tuple[str, ...] = ("community", "channel", "message_id", "user", "at", "text")
_LINE_COLUMNS += ("thread", "reply_to", "mentions")
_INSERT_LINE = FastStatement(
    lambda dialect: (
        (postgresql.insert if dialect == "postgresql" else sqlite.insert)(LINES)
        .values({name: bindparam(name) for name in _LINE_COLUMNS})
        .on_conflict_do_nothing()
    )
)
_FORGET_ONE = FastStatement(
    delete(LINES).where(
        LINES.c.community == bindparam("community"), LINES.c.message_id == bindparam("message_id")
    )
)


_CANDIDATE_COLUMNS = (_Q.message_id, _Q.asker, _Q.asked_at, _Q.thread, _Q.id, _Q.state, _Q.channel)


def _by(where: Any) -> Any:
    return select(*_CANDIDATE_COLUMNS).where(_Q.community == bindparam("community"), where)


# index lookups, not one OR that would scan every open question of the channel: the channel's
# recent open questions, and the questions asked by or in the message replied to (state and
# channel of those are checked after, so their lookup stays on its own index)
_RECENT_OPEN = FastStatement(
    _by(_Q.asked_at >= bindparam("since"))
    .where(_Q.channel == bindparam("channel"), _Q.state == bindparam("open"))
    .order_by(_Q.asked_at, _Q.id)
)
"""Most messages reply to nothing: the channel's recent open questions are all they can answer."""
_CANDIDATES = FastStatement(
    union(
        _by(_Q.asked_at >= bindparam("since")).where(
            _Q.channel == bindparam("channel"), _Q.state == bindparam("open")
        ),
        _by(_Q.message_id == bindparam("t1")),
        _by(_Q.message_id == bindparam("t2")),
        _by(_Q.thread == bindparam("t1")),
        _by(_Q.thread == bindparam("t2")),
    ).order_by("asked_at", "id")
)


def _askers(*where: Any) -> FastStatement:
    """A member's questions in a channel since a time, newest first (full rows)."""
    mine = (_Q.channel == bindparam("channel"), _Q.asker == bindparam("user"))
    return FastStatement(
        full_select(Question)
        .where(_Q.community == bindparam("community"), *mine, *where)
        .where(_Q.asked_at >= bindparam("since"))
        .order_by(_Q.asked_at.desc(), _Q.id.desc())
    )


_ASKERS_LIVE = _askers(_live_state)
_ASKERS_OPEN = _askers(_Q.state == bindparam("open"))
_ASKERS_LIVE_TOP = _askers(_live_state, _Q.thread.is_(None))
_IN_THREAD = FastStatement(
    union(
        *(
            full_select(Question).where(_Q.community == bindparam("community"), where)
            for where in (_Q.message_id == bindparam("thread"), _Q.thread == bindparam("thread"))
        )
    )
)
"""A thread's root question and the questions asked in it (two index lookups)."""
_RECENT_ASKERS = FastStatement(
    select(_Q.asker, _Q.answered_by).where(
        _Q.community == bindparam("community"),
        _Q.channel == bindparam("channel"),
        _live_state,
        _Q.asked_at >= bindparam("since"),
    )
)
_HELPED = FastStatement(
    select(_Q.id)
    .where(
        _Q.community == bindparam("community"),
        _Q.channel == bindparam("channel"),
        _Q.answered_by == bindparam("user"),
        _Q.answered_at >= bindparam("since"),
    )
    .limit(1)
)
_BY_MESSAGE = FastStatement(
    full_select(Question).where(
        _Q.community == bindparam("community"), _Q.message_id == bindparam("message_id")
    )
)


def _cache(session: AsyncSession) -> dict[tuple[str, str], Recent]:
    """(community, channel) -> the channel's lines held for this transaction."""
    found: Any = session.info.setdefault("questions.lines", {})
    return found


def _pending(session: AsyncSession) -> dict[tuple[str, str], list[ChatLine]]:
    """Lines remembered in this transaction, written just before commit (`defer`)."""
    found: Any = session.info.setdefault("questions.pending", {})
    return found


async def recent_lines(
    session: AsyncSession, *, community: str, channel: str, since: datetime
) -> Talk:
    """The channel's short memory since `since`, oldest first (at most RECENT_LIMIT lines),
    with their authors' names (valid until the channel's lines change: `remember_line`)."""
    place = (community, channel)
    cache = _cache(session)
    cached = cache.get(place)
    if cached is None and place not in _pending(session):
        cached = await line_cache.copy_for(session, community, channel, since)
        if cached is not None:
            cache[place] = cached
    if cached is not None and cached.since <= since:
        held = cached.lines
        if held and held[0].at < since:  # the horizon moved on: drop what fell out, once
            cached.trim(since)
        return cached.window()
    rows = await _RECENT.rows(session, {"community": community, "channel": channel, "since": since})
    rows.reverse()
    lines = [
        ChatLine(
            id=mid,
            user=user,
            text=text,
            at=at,
            mentions=tuple(mentions.split("\n")) if mentions else (),
            reply_to=reply_to,
            thread=thread,
        )
        for mid, user, text, at, mentions, reply_to, thread in rows
    ]
    stored = {line.id for line in lines}
    queued = [p for p in _pending(session).get(place, ()) if p.at >= since and p.id not in stored]
    if queued:
        lines = sorted(lines + queued, key=lambda line: line.at)  # stable: same-time order kept
    fresh = cache[place] = Recent(since, lines)
    return fresh.window()


async def remember_line(
    session: AsyncSession, *, community: str, event: MessagePosted, horizon: datetime
) -> None:
    """Keep the message in the channel's short memory and forget what fell out of it.

    The insert is deferred to the end of the transaction (one executemany per batch); this
    transaction reads its own lines from the per-transaction cache and pending list.
    """
    place = (community, event.channel)
    if line_cache.due_for_trim(session, community, event.channel, horizon):
        await _FORGET_OLD.execute(
            session, {"community": community, "channel": event.channel, "horizon": horizon}
        )
        cached = _cache(session).get(place)
        if cached is not None and cached.since < horizon:  # what was deleted is not held either
            cached.trim(horizon)
    line_cache.changed(session, community)
    line = ChatLine(
        id=event.message_id,
        user=event.user,
        text=event.text[:TEXT_LIMIT],
        at=event.at,
        mentions=tuple(event.mentions),
        reply_to=event.reply_to,
        thread=event.thread,
    )
    pending = _pending(session).setdefault(place, [])
    if any(p.id == line.id for p in pending):
        return  # the same message twice in one transaction: remembered once
    pending.append(line)
    defer(
        session,
        _INSERT_LINE,
        {
            "community": community,
            "channel": event.channel,
            "message_id": line.id,
            "user": line.user,
            "at": line.at,
            "text": line.text,
            "thread": line.thread,
            "reply_to": line.reply_to,
            "mentions": "\n".join(line.mentions),
        },
    )
    cached = _cache(session).get(place)
    if cached is not None:
        cached.add(line)  # after lines of the same time: arrival order kept


async def forget_line(session: AsyncSession, *, community: str, message_id: str) -> None:
    """A deleted message leaves the channel's short memory (stored, queued and cached)."""
    await _FORGET_ONE.execute(session, {"community": community, "message_id": message_id})
    line_cache.changed(session, community, in_place=True)
    queued = deferred(session, _INSERT_LINE)
    queued[:] = [row for row in queued if row["message_id"] != message_id]
    for (where, _), recent in _cache(session).items():
        if where == community:
            recent.keep(lambda line: line.id != message_id)
    for (where, _), lines in _pending(session).items():
        if where == community:
            lines[:] = [line for line in lines if line.id != message_id]


def forget_pending_lines(session: AsyncSession, *, community: str, user: str) -> int:
    """Drop a member's lines remembered in this transaction but not written yet (privacy).

    The caller deletes their stored lines: no process keeps a copy of the community's lines.
    """
    line_cache.changed(session, community, in_place=True)
    queued = deferred(session, _INSERT_LINE)
    before = len(queued)
    queued[:] = [r for r in queued if not (r["community"] == community and r["user"] == user)]
    for (where, _), recent in _cache(session).items():
        if where == community:
            recent.keep(lambda line: line.user != user)
    for (where, _), lines in _pending(session).items():
        if where == community:
            lines[:] = [line for line in lines if line.user != user]
    return before - len(queued)


async def answer_candidates(
    session: AsyncSession, *, community: str, event: MessagePosted, window: timedelta
) -> list[OpenQuestion]:
    """Open questions of the channel this message could answer, oldest first (plain values:
    load the one an answer is found for with `by_message`)."""
    targets = [t for t in (event.thread, event.reply_to) if t]
    params = {
        "community": community,
        "channel": event.channel,
        "open": OPEN,
        "since": event.at - window,
        "t1": targets[0] if targets else None,
        "t2": targets[1] if len(targets) > 1 else None,
    }
    rows = await (_CANDIDATES if targets else _RECENT_OPEN).rows(session, params)
    return [OpenQuestion(*row[:4]) for row in rows if row[5] == OPEN and row[6] == event.channel]


class Live(NamedTuple):
    """A member's live question as plain values; `adopt_live` gives its row to change it."""

    id: int
    message_id: str
    thread: str | None
    state: str
    asked_at: datetime
    row: tuple[Any, ...]


_AT = {column.key: index for index, column in enumerate(Question.__table__.columns)}
_LIVE_FIELDS = itemgetter(*(_AT[name] for name in Live._fields[:-1]))


def _live(rows: list[tuple[Any, ...]]) -> list[Live]:
    return [Live._make((*_LIVE_FIELDS(row), row)) for row in rows]


async def askers_live(
    session: AsyncSession,
    *,
    community: str,
    channel: str,
    user: str,
    since: datetime,
    only_open: bool = False,
) -> list[Live]:
    """This member's live questions in the channel (`only_open`: the open ones), newest first
    (most are only looked at: no ORM object is made for them)."""
    params = {"community": community, "channel": channel, "user": user, "since": since, **_LIVE}
    return _live(await (_ASKERS_OPEN if only_open else _ASKERS_LIVE).rows(session, params))


async def askers_live_here(
    session: AsyncSession,
    *,
    community: str,
    channel: str,
    user: str,
    since: datetime,
    thread: str | None,
) -> list[Live]:
    """`askers_live` in one place: the thread `thread` (its root or asked in it), or the
    channel outside threads (None), newest first."""
    params = {"community": community, "channel": channel, "user": user, "since": since}
    if thread is None:
        return _live(await _ASKERS_LIVE_TOP.rows(session, {**params, **_LIVE}))
    at = _AT
    mine = [
        row
        for row in await _IN_THREAD.rows(session, {"community": community, "thread": thread})
        if row[at["channel"]] == channel
        and row[at["asker"]] == user
        and row[at["state"]] in (OPEN, ANSWERED)
        and row[at["asked_at"]] >= since
    ]
    mine.sort(key=itemgetter(at["asked_at"], at["id"]), reverse=True)
    return _live(mine)


def adopt_live(session: AsyncSession, live: Live) -> Question:
    """The question's ORM row, to change it (the session's own copy when it has one)."""
    (row,) = adopt(session, Question, [live.row])
    return row


async def recent_askers(
    session: AsyncSession, *, community: str, channel: str, since: datetime
) -> dict[str, set[str | None]]:
    """Members with a live question in the channel since `since`, and who answered them."""
    params = {"community": community, "channel": channel, "since": since, **_LIVE}
    found: dict[str, set[str | None]] = {}
    for asker, answered_by in await _RECENT_ASKERS.rows(session, params):
        found.setdefault(asker, set()).add(answered_by)
    return found


async def helped_since(
    session: AsyncSession, *, community: str, channel: str, user: str, since: datetime
) -> bool:
    """Whether `user` answered someone's question in the channel since `since`."""
    params = {"community": community, "channel": channel, "user": user, "since": since}
    return bool(await _HELPED.rows(session, params))


async def by_message(session: AsyncSession, community: str, message_id: str) -> Question | None:
    """The question asked by this message, if it is one."""
    rows = await _BY_MESSAGE.rows(session, {"community": community, "message_id": message_id})
    return adopt(session, Question, rows)[0] if rows else None
