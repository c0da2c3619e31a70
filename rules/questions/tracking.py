"""State changes of tracked questions and the ladder's deadlines (shared by events and commands)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import RuleContext
from bot.events import MessagePosted
from bot.storage.sql import insert_ignore
from bot.text.exchange import ChatLine
from rules.questions.models import (
    ANSWERED,
    ANSWERED_BY_REPLY,
    CLOSED,
    ESCALATION,
    HELPERS,
    LINES,
    LIVE_STATES,
    MODERATORS,
    OPEN,
    SOLVED,
    Question,
)
from rules.questions.settings import QuestionSettings

EXPIRE = "expire"
STEPS = (HELPERS, MODERATORS, ESCALATION, EXPIRE)
TEXT_LIMIT = 1000
RECENT_LIMIT = 200
"""At most this many recent lines of a channel are considered (busy channels stay cheap)."""


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


async def schedule_from(
    ctx: RuleContext, row: Question, settings: QuestionSettings, *, start: int
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


async def get_question(session: AsyncSession, community: str, ref: int) -> Question | None:
    row = await session.get(Question, ref)
    return row if row is not None and row.community == community else None


async def by_message(session: AsyncSession, community: str, message_id: str) -> Question | None:
    query = select(Question).where(
        Question.community == community, Question.message_id == message_id
    )
    return (await session.scalars(query)).first()


async def create(ctx: RuleContext, event: MessagePosted, settings: QuestionSettings) -> Question:
    """Track a new question and schedule its first nudge."""
    row = Question(
        community=ctx.community,
        channel=event.channel,
        channel_name=event.channel_name,
        message_id=event.message_id,
        thread=event.thread,
        asker=event.user,
        asker_name=event.user_name,
        asked_at=event.at,
        text=event.text[:TEXT_LIMIT],
        permalink=event.permalink,
        state=OPEN,
        escalation_pending=False,
    )
    ctx.session.add(row)
    await ctx.session.flush()
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
    row.state = ANSWERED
    row.close_reason = ANSWERED_BY_REPLY
    row.answered_at = at
    row.answered_by = by
    row.answer_kind = kind
    row.escalation_pending = False
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
    if row.answered_at is None and by is not None and by != row.asker:
        row.answered_at = ctx.now
        row.answered_by = by
        row.answer_kind = kind
    row.state = SOLVED
    row.close_reason = reason
    row.solved_at = ctx.now
    row.escalation_pending = False
    await _stop(ctx, row)


async def close(ctx: RuleContext, row: Question, *, reason: str) -> None:
    """Close a question without an answer (deleted, withdrawn, expired)."""
    if row.state not in LIVE_STATES:
        return
    row.state = CLOSED
    row.close_reason = reason
    row.closed_at = ctx.now
    row.escalation_pending = False
    await _stop(ctx, row)


async def _stop(ctx: RuleContext, row: Question) -> None:
    await ctx.deadlines.cancel(ladder_key(row.id))
    await ctx.deadlines.cancel(invite_key(row.id))


async def answer_candidates(
    session: AsyncSession, *, community: str, event: MessagePosted, window: timedelta
) -> list[Question]:
    """Open questions of the channel this message could answer."""
    targets = [t for t in (event.thread, event.reply_to) if t]
    place = [Question.asked_at >= event.at - window]
    if targets:
        place += [Question.message_id.in_(targets), Question.thread.in_(targets)]
    query = select(Question).where(
        Question.community == community,
        Question.channel == event.channel,
        Question.state == OPEN,
        or_(*place),
    )
    return list((await session.scalars(query.order_by(Question.asked_at, Question.id))).all())


async def askers_live(
    session: AsyncSession, *, community: str, channel: str, user: str, since: datetime
) -> list[Question]:
    """This member's live questions in the channel, newest first."""
    query = select(Question).where(
        Question.community == community,
        Question.channel == channel,
        Question.asker == user,
        Question.state.in_(LIVE_STATES),
        Question.asked_at >= since,
    )
    return list((await session.scalars(query.order_by(Question.asked_at.desc()))).all())


async def recent_askers(
    session: AsyncSession, *, community: str, channel: str, since: datetime
) -> dict[str, set[str | None]]:
    """Members with a live question in the channel since `since`, and who answered them."""
    query = select(Question.asker, Question.answered_by).where(
        Question.community == community,
        Question.channel == channel,
        Question.state.in_(LIVE_STATES),
        Question.asked_at >= since,
    )
    found: dict[str, set[str | None]] = {}
    for asker, answered_by in (await session.execute(query)).all():
        found.setdefault(asker, set()).add(answered_by)
    return found


async def helped_since(
    session: AsyncSession, *, community: str, channel: str, user: str, since: datetime
) -> bool:
    """Whether `user` answered someone's question in the channel since `since`."""
    found = await session.scalar(
        select(Question.id)
        .where(
            Question.community == community,
            Question.channel == channel,
            Question.answered_by == user,
            Question.answered_at >= since,
        )
        .limit(1)
    )
    return found is not None


async def recent_lines(
    session: AsyncSession, *, community: str, channel: str, since: datetime
) -> list[ChatLine]:
    """The channel's short memory as plain lines (core select: no ORM objects, it is hot)."""
    table = LINES
    query = (
        select(
            table.c.message_id,
            table.c.user,
            table.c.text,
            table.c.at,
            table.c.mentions,
            table.c.reply_to,
            table.c.thread,
        )
        .where(table.c.community == community, table.c.channel == channel, table.c.at >= since)
        .order_by(table.c.at.desc(), table.c.id.desc())
        .limit(RECENT_LIMIT)
    )
    rows = list((await session.execute(query)).all())
    rows.reverse()
    return [
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


async def remember_line(
    session: AsyncSession, *, community: str, event: MessagePosted, horizon: datetime
) -> None:
    """Keep the message in the channel's short memory and forget what fell out of it."""
    table = LINES
    await session.execute(
        delete(table).where(
            table.c.community == community, table.c.channel == event.channel, table.c.at < horizon
        )
    )
    values = {
        "community": community,
        "channel": event.channel,
        "message_id": event.message_id,
        "user": event.user,
        "at": event.at,
        "text": event.text[:TEXT_LIMIT],
        "thread": event.thread,
        "reply_to": event.reply_to,
        "mentions": "\n".join(event.mentions),
    }
    await insert_ignore(session, table, values)
