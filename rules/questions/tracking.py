"""State changes of tracked questions and the ladder's deadlines (shared by events and commands)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol, cast

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import RuleContext
from bot.events import MessagePosted
from bot.storage import fast_orm
from bot.storage.fast import FastStatement
from rules.questions.models import (
    ANSWERED,
    ANSWERED_BY_REPLY,
    CLOSED,
    ESCALATION,
    HELPERS,
    LIVE_STATES,
    MODERATORS,
    OPEN,
    SOLVED,
    Question,
)
from rules.questions.queries import (
    RECENT_LIMIT,
    TEXT_LIMIT,
    Live,
    adopt_live,
    answer_candidates,
    askers_live,
    askers_live_here,
    by_message,
    forget_line,
    helped_since,
    recent_askers,
    recent_lines,
    remember_line,
)
from rules.questions.settings import QuestionSettings

__all__ = [
    "RECENT_LIMIT",
    "TEXT_LIMIT",
    "Live",
    "adopt_live",
    "answer_candidates",
    "askers_live",
    "askers_live_here",
    "by_message",
    "forget_line",
    "helped_since",
    "recent_askers",
    "recent_lines",
    "remember_line",
]

EXPIRE = "expire"
STEPS = (HELPERS, MODERATORS, ESCALATION, EXPIRE)


def ladder_key(question_id: int) -> str:
    return f"q:{question_id}"


def invite_key(question_id: int) -> str:
    return f"invite:{question_id}"


def settings_of(ctx: RuleContext, row: Question) -> QuestionSettings:
    """The rule's settings for the question's channel."""
    settings = ctx.settings_for(row.channel, row.channel_name)
    assert isinstance(settings, QuestionSettings)
    return settings


def step_delay(settings: QuestionSettings, step: str) -> timedelta | None:
    """How long after the question a ladder step is due (None: the step is switched off)."""
    return {
        HELPERS: settings.helpers_after,
        MODERATORS: settings.moderators_after,
        ESCALATION: settings.escalate_after,
        EXPIRE: settings.expire_after,
    }[step]


class Scheduled(Protocol):
    """What the ladder's schedule needs of a question."""

    @property
    def id(self) -> int: ...
    @property
    def asked_at(self) -> datetime: ...
    @property
    def hold_until(self) -> datetime | None: ...


async def schedule_from(
    ctx: RuleContext, row: Scheduled, settings: QuestionSettings, *, start: int
) -> None:
    """Point the question's ladder deadline at the first enabled step from index `start`."""
    for index in range(start, len(STEPS)):
        delay = step_delay(settings, STEPS[index])
        if delay is None:
            continue
        due = row.asked_at + delay
        if row.hold_until is not None and row.hold_until > due:
            due = row.hold_until
        await ctx.deadlines.set(ladder_key(row.id), max(due, ctx.now), {"step": STEPS[index]})
        return
    await ctx.deadlines.cancel(ladder_key(row.id))


async def save(session: AsyncSession, row: Question, **values: Any) -> None:
    """Write the values that differ from the row's with one UPDATE, and set them on the row.

    What the unit of work would write at the next flush (changed columns only, nothing when
    nothing changed), without the flush: the row stays clean (bot/storage/fast_orm.py).
    """
    await fast_orm.save(session, row, **values)


async def get_question(session: AsyncSession, community: str, ref: int) -> Question | None:
    row = await session.get(Question, ref)
    return row if row is not None and row.community == community else None


class Created(NamedTuple):
    """A question just tracked (no ORM object is made for it: load it to change it)."""

    id: int
    asked_at: datetime
    hold_until: datetime | None = None


_QUESTIONS = cast(Table, Question.__table__)
_CREATE_COLUMNS = (
    *("community", "channel", "channel_name", "message_id", "thread", "asker", "asker_name"),
    *("asked_at", "text", "permalink", "state", "escalation_pending"),
)
_CREATE = FastStatement(
    insert(_QUESTIONS)
    .values({name: bindparam(name) for name in _CREATE_COLUMNS})
    .returning(_QUESTIONS.c.id)
)


async def create(ctx: RuleContext, event: MessagePosted, settings: QuestionSettings) -> Created:
    """Track a new question and schedule its first nudge (one INSERT ... RETURNING the id)."""
    values = {
        "community": ctx.community,
        "channel": event.channel,
        "channel_name": event.channel_name,
        "message_id": event.message_id,
        "thread": event.thread,
        "asker": event.user,
        "asker_name": event.user_name,
        "asked_at": event.at,
        "text": event.text[:TEXT_LIMIT],
        "permalink": event.permalink,
        "state": OPEN,
        "escalation_pending": False,
    }
    ((question_id,),) = await _CREATE.rows(ctx.session, values)
    row = Created(question_id, event.at)
    await schedule_from(ctx, row, settings, start=0)
    return row


async def mark_answered(
    ctx: RuleContext,
    row: Question,
    *,
    by: str | None,
    kind: str,
    at: datetime,
) -> None:
    """First answer: stop the ladder and plan the one invitation to mark it solved."""
    if row.state != OPEN:
        return
    await save(
        ctx.session,
        row,
        state=ANSWERED,
        close_reason=ANSWERED_BY_REPLY,
        answered_at=at,
        answered_by=by,
        answer_kind=kind,
        escalation_pending=False,
    )
    await ctx.deadlines.cancel(ladder_key(row.id))
    settings = settings_of(ctx, row)
    if settings.invite_to_mark_solved and row.invited_at is None:
        await ctx.deadlines.set(invite_key(row.id), max(at, ctx.now) + settings.invite_after)


async def mark_solved(
    ctx: RuleContext,
    row: Question,
    *,
    reason: str,
    by: str | None = None,
    kind: str | None = None,
) -> None:
    """The strongest signal: solved (by the asker, a check-mark, or a moderator)."""
    if row.state not in LIVE_STATES:
        return
    values: dict[str, Any] = {}
    if row.answered_at is None and by is not None and by != row.asker:
        values.update(answered_at=ctx.now, answered_by=by, answer_kind=kind)
    values.update(state=SOLVED, close_reason=reason, solved_at=ctx.now, escalation_pending=False)
    await save(ctx.session, row, **values)
    await _stop(ctx, row)


async def close(ctx: RuleContext, row: Question, *, reason: str) -> None:
    """Close a question without an answer (deleted, withdrawn, expired)."""
    if row.state not in LIVE_STATES:
        return
    await save(
        ctx.session,
        row,
        state=CLOSED,
        close_reason=reason,
        closed_at=ctx.now,
        escalation_pending=False,
    )
    await _stop(ctx, row)


async def _stop(ctx: RuleContext, row: Question) -> None:
    await ctx.deadlines.cancel(ladder_key(row.id))
    await ctx.deadlines.cancel(invite_key(row.id))
