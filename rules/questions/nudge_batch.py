"""A group of due ladder steps, loaded at once where each statement is a network round trip.

The sweep runs claimed deadlines 25 to a transaction. On PostgreSQL every statement is a round
trip, so each step reading its question, whether it was nudged before and its channel's last
helpers nudge (and then writing the nudge) cost ~1 ms per deadline. `prepare` reads the
group's questions, their recorded nudges and their channels' last helpers nudges with three
statements; the ladder then records nudges in this transaction's memory and writes them with
one `executemany` before the commit. On SQLite (a statement is a few microseconds, in process)
nothing is prepared and every step reads and writes for itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ARRAY, Integer, String, Table, any_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import DueItem, RuleContext
from bot.storage.fast import FastStatement, adopt, full_select, runs_inline
from rules.questions.models import HELPERS, Question, QuestionNudge

_Q = cast(Table, Question.__table__).c
_N = cast(Table, QuestionNudge.__table__).c
_IDS = bindparam("ids", type_=ARRAY(Integer))
_QUESTIONS = FastStatement(full_select(Question).where(_Q.id == any_(_IDS)))
_NUDGED = FastStatement(select(_N.question_id, _N.level).where(_N.question_id == any_(_IDS)))
_CHANNELS = (
    func.unnest(bindparam("channels", type_=ARRAY(String)))
    .table_valued("channel")
    .render_derived(name="c")
)
_LAST_HELPERS = FastStatement(  # one backward index lookup per channel, not a GROUP BY scan
    select(
        _CHANNELS.c.channel,
        select(func.max(_N.at))
        .where(
            _N.community == bindparam("community"),
            _N.channel == _CHANNELS.c.channel,
            _N.level == bindparam("level"),
        )
        .scalar_subquery(),
    )
)
_KNOWN = "questions.nudged"
_LADDER_KINDS = ("q", "invite")


def question_ids(items: Sequence[DueItem]) -> list[int]:
    """The questions a group of this rule's deadlines is about."""
    found = set()
    for item in items:
        kind, _, ident = item.key.partition(":")
        if kind in _LADDER_KINDS and ident.isdigit():
            found.add(int(ident))
    return sorted(found)


async def prepare(
    items: Sequence[DueItem], ctx: RuleContext, helpers_seen: dict[tuple[str, str], Any]
) -> None:
    """Load the group's questions, their nudges and their channels' last helpers nudges."""
    session = ctx.session
    if await runs_inline(session):
        return
    ids = question_ids(items)
    if not ids:
        return
    rows = adopt(session, Question, await _QUESTIONS.rows(session, {"ids": ids}))
    pairs = {(qid, level) for qid, level in await _NUDGED.rows(session, {"ids": ids})}
    known: tuple[set[int], set[tuple[int, str]]] = session.info.setdefault(_KNOWN, (set(), set()))
    known[0].update(ids)
    known[1].update(pairs)
    channels = sorted({r.channel for r in rows if (r.community, r.channel) not in helpers_seen})
    if channels:
        params = {"community": ctx.community, "level": HELPERS, "channels": channels}
        last = dict(await _LAST_HELPERS.rows(session, params))
        for channel in channels:
            helpers_seen[ctx.community, channel] = last.get(channel)


def nudged(session: AsyncSession, question_id: int, level: str) -> bool | None:
    """Whether a prepared question was nudged at `level` (None: not prepared, ask the table)."""
    known: tuple[set[int], set[tuple[int, str]]] | None = session.info.get(_KNOWN)
    if known is None or question_id not in known[0]:
        return None
    return (question_id, level) in known[1]


def note(session: AsyncSession, question_id: int, level: str) -> None:
    """A nudge of a prepared question was recorded in this transaction."""
    known: tuple[set[int], set[tuple[int, str]]] = session.info[_KNOWN]
    known[1].add((question_id, level))
