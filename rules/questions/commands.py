"""Moderator commands: unanswered, answered, snooze, claim (also run by nudge buttons)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.actions import Action, Card, CardSection
from bot.commands import respond
from bot.context import RuleContext
from bot.durations import format_duration, parse_duration
from bot.events import CommandInvoked
from bot.rule import Command
from rules.questions import tracking
from rules.questions.models import LIVE_STATES, MODERATOR, OPEN, Question
from rules.questions.nudges import question_buttons, where, who
from rules.questions.store import QuestionView, open_questions, view

LIST_LIMIT = 25


def parse_ref(raw: str) -> int | None:
    """`Q12`, `q12`, `#12` or `12` -> 12."""
    text = raw.strip().lstrip("#").upper().removeprefix("Q")
    return int(text) if text.isdigit() else None


async def _target(
    cmd: CommandInvoked, args: list[str], ctx: RuleContext, usage: str
) -> Question | Action:
    ref = parse_ref(args[0]) if args else None
    if ref is None:
        return respond(cmd, f"Usage: /circle {usage} (e.g. Q12)")
    row = await tracking.get_question(ctx.session, ctx.community, ref)
    if row is None:
        return respond(cmd, f"I don't know a question Q{ref}; `/circle unanswered` lists them.")
    return row


async def unanswered(cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
    """List open questions, optionally for one channel and older than a duration."""
    channel: str | None = None
    older: timedelta | None = None
    for arg in args:
        try:
            older = parse_duration(arg)
        except ValueError:
            channel = arg
    if channel:
        rows = await _open_in(ctx, channel, older)
    else:
        rows = await open_questions(
            ctx.session, ctx.community, now=ctx.now, older_than=older, limit=LIST_LIMIT
        )
    scope = (f" in #{channel.lstrip('#')}" if channel else "") + (
        f" older than {format_duration(older)}" if older else ""
    )
    if not rows:
        return [respond(cmd, f"No unanswered questions{scope}. 🎉")]
    lines = []
    for q in rows:
        claimed = f" (claimed by {q.claimed_by})" if q.claimed_by else ""
        link = f" {q.permalink}" if q.permalink else ""
        lines.append(
            f"Q{q.id} · #{q.channel.lstrip('#')} · {q.asker_name or q.asker} · "
            f"{format_duration(ctx.now - q.asked_at)}{claimed}: {q.excerpt}{link}"
        )
    title = f"{len(rows)} unanswered question(s){scope}"
    card = Card(title=title, sections=(CardSection(lines=tuple(lines)),))
    buttons = question_buttons(f"Q{rows[0].id}") if len(rows) == 1 else ()
    return [respond(cmd, title + "\n" + "\n".join(lines), card=card, buttons=buttons)]


async def _open_in(ctx: RuleContext, channel: str, older: timedelta | None) -> list[QuestionView]:
    """Open questions of a channel given by id or name, oldest first (as `open_questions`).

    Two queries, by id and by name, each one ordered range scan of its index
    (`ix_questions_state_channel*`) that stops after LIST_LIMIT rows: a single query with
    `channel = x OR channel_name = x` scans every open question of the community.
    """
    found: dict[int, Question] = {}
    for column, value in (
        (Question.channel, channel),
        (Question.channel_name, channel.lstrip("#")),
    ):
        query = select(Question).where(
            Question.community == ctx.community, Question.state == OPEN, column == value
        )
        if older is not None:
            query = query.where(Question.asked_at <= ctx.now - older)
        query = query.order_by(Question.asked_at, Question.id).limit(LIST_LIMIT)
        found.update((row.id, row) for row in (await ctx.session.scalars(query)).all())
    oldest = sorted(found.values(), key=lambda row: (row.asked_at, row.id))[:LIST_LIMIT]
    return [view(row) for row in oldest]


async def answered(cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
    """Mark a question answered and solved on a moderator's word."""
    row = await _target(cmd, args, ctx, "answered <question>")
    if not isinstance(row, Question):
        return [row]
    if row.state not in LIVE_STATES:
        return [respond(cmd, f"Q{row.id} is already {row.state}.")]
    await tracking.mark_solved(ctx, row, reason=MODERATOR)
    return [respond(cmd, f"Q{row.id} from {who(row)} in {where(row)} is marked answered. Thanks!")]


async def snooze(cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
    """Hold a question's nudges for a while."""
    row = await _target(cmd, args, ctx, "snooze <question> <duration>")
    if not isinstance(row, Question):
        return [row]
    try:
        delta = parse_duration(args[1]) if len(args) > 1 else None
    except ValueError as exc:
        return [respond(cmd, f"{exc}")]
    if delta is None or delta <= timedelta(0):
        return [respond(cmd, "Usage: /circle snooze <question> <duration> (e.g. Q12 1h)")]
    if row.state != OPEN:
        return [respond(cmd, f"Q{row.id} is {row.state}; nothing to snooze.")]
    await _hold(ctx, row, ctx.now + delta)
    return [respond(cmd, f"Q{row.id} is snoozed for {format_duration(delta)}.")]


async def claim(cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
    """Take a question: the ladder waits while the claimer helps."""
    row = await _target(cmd, args, ctx, "claim <question>")
    if not isinstance(row, Question):
        return [row]
    if row.state != OPEN:
        return [respond(cmd, f"Q{row.id} is {row.state}; it needs no one to take it.")]
    if row.claimed_by and row.claimed_by != cmd.user:
        return [respond(cmd, f"Q{row.id} is already taken by {row.claimed_by}.")]
    hold = tracking.settings_of(ctx, row).claim_hold
    await _hold(ctx, row, ctx.now + hold, claimed_by=cmd.user)
    link = f" {row.permalink}" if row.permalink else ""
    return [
        respond(
            cmd,
            f"Q{row.id} is yours: {who(row)} asked in {where(row)}.{link} "
            f"Nudges wait {format_duration(hold)}.",
        )
    ]


async def _hold(
    ctx: RuleContext, row: Question, until: datetime, *, claimed_by: str | None = None
) -> None:
    """Hold the question's nudges until `until` (a claim also records who took it)."""
    claim = {} if claimed_by is None else {"claimed_by": claimed_by}
    await tracking.save(ctx.session, row, hold_until=until, **claim)
    deadline = await ctx.deadlines.get(tracking.ladder_key(row.id))
    if deadline is not None and deadline.due_at < until:
        await ctx.deadlines.set(tracking.ladder_key(row.id), until, dict(deadline.payload))


def build() -> list[Command]:
    """The commands of the questions rule."""
    return [
        Command(
            "unanswered",
            "unanswered [channel] [older-than]",
            "list open questions, e.g. `unanswered #help 2h`",
            unanswered,
        ),
        Command("answered", "answered <question>", "mark a question answered (Q12)", answered),
        Command("snooze", "snooze <question> <duration>", "hold its nudges (Q12 1h)", snooze),
        Command("claim", "claim <question>", "take a question; nudges wait", claim),
    ]
