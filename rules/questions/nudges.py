"""The nudge ladder: helpers at T1, moderators at T2, grouped escalation at T3, then expiry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from bot.actions import Action, Button, Card, CardSection, Ephemeral, NotifyModerators, Reply
from bot.context import DueItem, RuleContext
from bot.durations import format_duration
from bot.storage.deferred_writes import defer
from bot.storage.fast import FastStatement
from rules.questions import nudge_batch, tracking
from rules.questions.models import (
    ANSWERED,
    ESCALATION,
    EXPIRED,
    HELPERS,
    OPEN,
    Question,
    QuestionNudge,
)
from rules.questions.settings import QuestionSettings
from rules.questions.store import excerpt

ESCALATION_KEY = "escalation"
ESCALATION_LIST_LIMIT = 20


def quiet_until(ctx: RuleContext, settings: QuestionSettings) -> datetime | None:
    """When the community's quiet hours end, if `ctx.now` falls inside them."""
    quiet = ctx.config.community.quiet_hours
    if quiet is None or not settings.respect_quiet_hours:
        return None
    local = ctx.local_now()
    if not quiet.contains(local.time()):
        return None
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(ctx.now.tzinfo)


def question_buttons(ref: str) -> tuple[Button, ...]:
    return (
        Button(label="I'll take it", command=f"claim {ref}", style="primary"),
        Button(label="Mark answered", command=f"answered {ref}"),
        Button(label="Snooze 1h", command=f"snooze {ref} 1h"),
        Button(label="Snooze 1d", command=f"snooze {ref} 1d"),
    )


def who(row: Question) -> str:
    return row.asker_name or row.asker


def where(row: Question) -> str:
    return f"#{(row.channel_name or row.channel).lstrip('#')}"


def age(row: Question, now: datetime) -> str:
    return format_duration(now - row.asked_at)


async def before_due(items: Sequence[DueItem], ctx: RuleContext) -> None:
    """Load a group of due steps' questions and nudges at once (PostgreSQL; nudge_batch.py)."""
    await nudge_batch.prepare(items, ctx, _helpers_seen(ctx))


async def on_due(item: DueItem, ctx: RuleContext) -> list[Action]:
    """Dispatch a deadline of this rule."""
    if item.key == ESCALATION_KEY:
        return await escalate(ctx)
    kind, _, ident = item.key.partition(":")
    row = await _question(ctx, int(ident))
    if row is None:
        return []
    if kind == "invite":
        return await invite(ctx, row)
    return await ladder_step(ctx, row, str(item.payload.get("step", HELPERS)))


QUESTIONS = cast(Table, Question.__table__)
_QUESTION = FastStatement(select(*QUESTIONS.c).where(QUESTIONS.c.id == bindparam("id")))
_ATTRIBUTES = tuple(
    Question.__mapper__.get_property_by_column(column).key for column in QUESTIONS.c
)


async def _question(ctx: RuleContext, ident: int) -> Question | None:
    """A question of this community as a session object, read with one prebuilt statement.

    The same as `tracking.get_question`, without the ORM query (most of a nudge's cost on
    SQLite): the row becomes a persistent object as if a query had loaded it (this rule writes
    it with `tracking.save`); one already in the session is returned as it is.
    """
    found = ctx.session.sync_session.identity_map.get(identity_key(Question, (ident,)))
    if found is None:
        rows = await _QUESTION.rows(ctx.session, {"id": ident})
        if not rows:
            return None
        found = Question(**dict(zip(_ATTRIBUTES, rows[0], strict=True)))
        make_transient_to_detached(found)  # as loaded: no pending changes
        ctx.session.add(found)
    assert isinstance(found, Question)
    return found if found.community == ctx.community else None


NUDGES = cast(Table, QuestionNudge.__table__)
_NUDGE_COLUMNS = ("question_id", "community", "channel", "level", "at")
_ALREADY = FastStatement(
    select(NUDGES.c.id).where(
        NUDGES.c.question_id == bindparam("question_id"), NUDGES.c.level == bindparam("level")
    )
)
_LAST_HELPERS = FastStatement(
    select(func.max(NUDGES.c.at)).where(
        NUDGES.c.community == bindparam("community"),
        NUDGES.c.channel == bindparam("channel"),
        NUDGES.c.level == bindparam("level"),
    )
)
_RECORD = FastStatement(
    lambda dialect: (
        (postgresql.insert if dialect == "postgresql" else sqlite.insert)(NUDGES)
        .values({name: bindparam(name) for name in _NUDGE_COLUMNS})
        .on_conflict_do_nothing()
    )
)


async def _already(ctx: RuleContext, row: Question, level: str) -> bool:
    known = nudge_batch.nudged(ctx.session, row.id, level)
    if known is not None:
        return known
    return bool(await _ALREADY.rows(ctx.session, {"question_id": row.id, "level": level}))


async def _record(ctx: RuleContext, row: Question, level: str) -> bool:
    """Record a nudge of `level` about the question; False when one was recorded before."""
    values = {
        "question_id": row.id,
        "community": row.community,
        "channel": row.channel,
        "level": level,
        "at": ctx.now,
    }
    known = nudge_batch.nudged(ctx.session, row.id, level)
    if known is None:
        recorded = await _RECORD.execute(ctx.session, values) == 1
    else:  # prepared with its group: written with the group's other nudges before commit
        recorded = not known
        if recorded:
            nudge_batch.note(ctx.session, row.id, level)
            defer(ctx.session, _RECORD, values)
    if recorded and level == HELPERS:  # this transaction's later reads see it
        _helpers_seen(ctx)[row.community, row.channel] = ctx.now
    return recorded


async def ladder_step(ctx: RuleContext, row: Question, step: str) -> list[Action]:
    """Run one step of a question's ladder, or move it later (held, quiet hours, rate limit)."""
    if row.state != OPEN or step not in tracking.STEPS:
        return []
    settings = tracking.settings_of(ctx, row)
    index = tracking.STEPS.index(step)
    if step == tracking.EXPIRE:
        await tracking.close(ctx, row, reason=EXPIRED)
        return []
    held = row.hold_until if row.hold_until and row.hold_until > ctx.now else None
    later = held or quiet_until(ctx, settings)
    if step == HELPERS and later is None:
        later = await _rate_limited(ctx, row, settings)
    if later is not None:
        await ctx.deadlines.set(tracking.ladder_key(row.id), later, {"step": step})
        return []
    if _overtaken(row, settings, index, ctx.now):
        await tracking.schedule_from(ctx, row, settings, start=index + 1)
        return []
    if step == ESCALATION:  # recorded by the grouped post (`escalate`)
        if not await _already(ctx, row, step):
            await tracking.save(ctx.session, row, escalation_pending=True)
            if await ctx.deadlines.get(ESCALATION_KEY) is None:
                await ctx.deadlines.set(ESCALATION_KEY, ctx.now + settings.escalation_batch)
        await tracking.schedule_from(ctx, row, settings, start=index + 1)
        return []
    recorded = await _record(ctx, row, step)  # one statement: recorded, or sent before
    await tracking.schedule_from(ctx, row, settings, start=index + 1)
    if not recorded:
        return []
    if step == HELPERS:
        return [helpers_nudge(ctx, row, settings)]
    return [moderators_nudge(ctx, row)]


def _overtaken(row: Question, settings: QuestionSettings, index: int, now: datetime) -> bool:
    """A helpers nudge held past the moderators' turn is skipped: moderators take over."""
    if tracking.STEPS[index] != HELPERS:
        return False
    after = settings.moderators_after
    return after is not None and now >= row.asked_at + after


def _helpers_seen(ctx: RuleContext) -> dict[tuple[str, str], datetime | None]:
    """Each channel's last helpers nudge, read once per transaction (a group of due deadlines)."""
    seen: dict[tuple[str, str], datetime | None] = ctx.session.info.setdefault(
        "questions.last_helpers", {}
    )
    return seen


async def _last_helpers(ctx: RuleContext, community: str, channel: str) -> datetime | None:
    seen = _helpers_seen(ctx)
    if (community, channel) not in seen:
        params = {"community": community, "channel": channel, "level": HELPERS}
        ((seen[community, channel],),) = await _LAST_HELPERS.rows(ctx.session, params)
    return seen[community, channel]


async def _rate_limited(
    ctx: RuleContext, row: Question, settings: QuestionSettings
) -> datetime | None:
    last = await _last_helpers(ctx, row.community, row.channel)
    if last is None or ctx.now >= last + settings.helpers_min_gap:
        return None
    return last + settings.helpers_min_gap


def helpers_nudge(ctx: RuleContext, row: Question, settings: QuestionSettings) -> Reply:
    """The gentle T1 nudge: a thread reply inviting help, or a ping of the helpers group."""
    group = ctx.config.community.helpers_group
    style = settings.helpers_style
    mention = group is not None and style in ("auto", "mention")
    if mention:
        text = (
            f"{group}: {who(row)}'s question here has been waiting {age(row, ctx.now)}. "
            "Could one of you take a look?"
        )
    else:
        text = (
            f"This question from {who(row)} is still looking for an answer. "
            "If you know something that could help, even a pointer, please reply here."
        )
    return Reply(
        community=row.community,
        channel=row.channel,
        message_id=row.message_id,
        thread=row.thread,
        text=text,
        tag=f"questions:helpers:{row.id}",
    )


def moderators_nudge(ctx: RuleContext, row: Question) -> NotifyModerators:
    """The T2 nudge: link, age, asker, excerpt, and claim / answered / snooze buttons."""
    ref = f"Q{row.id}"
    lines = [
        f"Asked by {who(row)} in {where(row)}, {age(row, ctx.now)} ago, no answer yet.",
        f"> {excerpt(row.text, tracking.settings_of(ctx, row).excerpt_chars)}",
    ]
    if row.permalink:
        lines.append(row.permalink)
    return NotifyModerators(
        community=row.community,
        text=f"{ref} by {who(row)} in {where(row)} is unanswered after {age(row, ctx.now)}: "
        f"{excerpt(row.text, 120)}" + (f" {row.permalink}" if row.permalink else ""),
        card=Card(
            title=f"{ref} is waiting for an answer",
            sections=(CardSection(lines=tuple(lines)),),
        ),
        buttons=question_buttons(ref),
        tag=f"questions:moderators:{row.id}",
    )


async def escalate(ctx: RuleContext) -> list[Action]:
    """One grouped post for every question that reached T3 since the last one."""
    settings = ctx.settings
    assert isinstance(settings, QuestionSettings)
    later = quiet_until(ctx, settings)
    if later is not None:
        await ctx.deadlines.set(ESCALATION_KEY, later)
        return []
    query = select(Question).where(
        Question.community == ctx.community,
        Question.state == OPEN,
        Question.escalation_pending.is_(True),
    )
    rows = list((await ctx.session.scalars(query.order_by(Question.asked_at))).all())
    fresh = []
    for row in rows:
        await tracking.save(ctx.session, row, escalation_pending=False)
        if await _record(ctx, row, ESCALATION):
            fresh.append(row)
    if not fresh:
        return []
    shown = [
        f"Q{r.id} · {where(r)} · {who(r)} · {age(r, ctx.now)}: {excerpt(r.text, 100)}"
        + (f" {r.permalink}" if r.permalink else "")
        for r in fresh[:ESCALATION_LIST_LIMIT]
    ]
    if len(fresh) > ESCALATION_LIST_LIMIT:
        shown.append(f"… and {len(fresh) - ESCALATION_LIST_LIMIT} more: /circle unanswered")
    title = f"{len(fresh)} question(s) still unanswered after a long wait"
    return [
        NotifyModerators(
            community=ctx.community,
            text=title + "\n" + "\n".join(shown),
            card=Card(
                title=title,
                sections=(CardSection(lines=tuple(shown)),),
                footer="/circle claim Q<n> · /circle answered Q<n> · /circle snooze Q<n> 1d",
            ),
            tag="questions:escalation",
        )
    ]


async def invite(ctx: RuleContext, row: Question) -> list[Action]:
    """The one gentle invitation to mark an answered question solved and thank the helper."""
    if row.state != ANSWERED or row.invited_at is not None:
        return []
    await tracking.save(ctx.session, row, invited_at=ctx.now)
    helper = f" {row.answered_by}" if row.answered_by else " the person who answered"
    return [
        Ephemeral(
            community=row.community,
            channel=row.channel,
            user=row.asker,
            text=(
                f"Did the reply to your question in {where(row)} help? If it solved it, react "
                f"with ✅ on your question, and a quick thanks to{helper} means a lot."
            ),
            tag=f"questions:invite:{row.id}",
        )
    ]
