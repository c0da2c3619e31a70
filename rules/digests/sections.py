"""The sections of a digest, each read through another rule's contract functions (or our own)."""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from bot.actions import CardSection
from bot.context import RuleContext
from bot.durations import format_duration
from rules.digests import store

log = logging.getLogger(__name__)
_reported: set[str] = set()


@dataclass(frozen=True)
class Period:
    """The stretch of time a digest covers: [since, until)."""

    label: str
    since: datetime
    until: datetime


def contract(ctx: RuleContext, rule: str) -> ModuleType | None:
    """`rules.<rule>.store` when that rule is enabled and importable; None (logged once) if not."""
    try:
        if not ctx.config.is_enabled(rule):
            return None
    except KeyError:
        return None  # the rule is not installed
    module = f"rules.{rule}.store"
    try:
        return importlib.import_module(module)
    except Exception as exc:
        if module not in _reported:
            _reported.add(module)
            log.warning("digest section from %s skipped: cannot import it (%s)", module, exc)
        return None


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def age(delta: timedelta) -> str:
    return format_duration(delta) if delta >= timedelta(minutes=1) else "just now"


async def who(ctx: RuleContext, user: str | None, name: str | None = None) -> str:
    if not user:
        return "someone"
    if name:
        return f"@{name}"
    member = await ctx.members.get(user)
    return f"@{member.name}" if member is not None and member.name else f"@{user}"


async def unanswered(ctx: RuleContext, period: Period, limit: int) -> CardSection | None:
    questions = contract(ctx, "questions")
    if questions is None:
        return None
    rows: list[Any] = await questions.open_questions(
        ctx.session, ctx.community, now=ctx.now, limit=limit + 1
    )
    lines = []
    for q in rows[:limit]:
        link = f" {q.permalink}" if q.permalink else ""
        asker = await who(ctx, q.asker, q.asker_name)
        lines.append(f"Q{q.id} #{q.channel.lstrip('#')}, {age(ctx.now - q.asked_at)} old — "
                     f"{asker}: {q.excerpt}{link}")  # fmt: skip
    if len(rows) > limit:
        lines.append("… more with /circle unanswered")
    if not lines:
        lines = ["None: every question has an answer."]
    return CardSection(heading="Unanswered questions (oldest first)", lines=tuple(lines))


async def answers(ctx: RuleContext, period: Period) -> CardSection | None:
    questions = contract(ctx, "questions")
    if questions is None:
        return None
    stats = await questions.answer_stats(
        ctx.session, ctx.community, since=period.since, until=period.until
    )
    line = f"{stats.asked} asked, {stats.answered} answered, {stats.solved} solved"
    if stats.median_first_answer is not None:
        line += f"; median time to first answer {age(stats.median_first_answer)}"
    return CardSection(heading="Questions and answers", lines=(line,))


async def newcomers(ctx: RuleContext, period: Period, limit: int) -> CardSection | None:
    welcome = contract(ctx, "welcome")
    if welcome is None:
        return None
    rows: list[Any] = await welcome.newcomers(ctx.session, ctx.community, since=period.since)
    lines = []
    for n in rows[:limit]:
        name = await who(ctx, n.user, n.name)
        if n.introduced_at is not None:
            intro = f": “{n.intro_excerpt}”" if n.intro_excerpt else ""
            lines.append(f"{name} joined and introduced themselves{intro}")
        else:
            lines.append(f"{name} joined, no introduction yet")
    if len(rows) > limit:
        lines.append(f"… and {len(rows) - limit} more")
    return CardSection(heading="New members", lines=tuple(lines or ["No one joined."]))


async def held(ctx: RuleContext, period: Period, limit: int) -> CardSection | None:
    first_contact = contract(ctx, "first_contact")
    if first_contact is None:
        return None
    rows: list[Any] = await first_contact.held_messages(
        ctx.session, ctx.community, status="pending", limit=limit + 1
    )
    lines = []
    for h in rows[:limit]:
        name = await who(ctx, h.user, h.user_name)
        text = " ".join(h.text.split())
        text = text if len(text) <= 80 else text[:79] + "…"
        reasons = ", ".join(h.reasons) or "held"
        lines.append(f"H{h.id} {name} in #{h.channel.lstrip('#')} ({reasons}): {text}")
    if rows:
        lines.append("Review with /circle held, then approve H<n> or reject H<n>.")
    return CardSection(heading="Held for review", lines=tuple(lines or ["Nothing is waiting."]))


async def prompts(ctx: RuleContext, period: Period) -> CardSection | None:
    prompt_store = contract(ctx, "prompts")
    if prompt_store is None:
        return None
    rows: list[Any] = await prompt_store.prompt_engagement(
        ctx.session, ctx.community, since=period.since, until=period.until
    )
    lines = []
    for p in rows:
        first = f", first after {age(p.first_reply_after)}" if p.first_reply_after else ""
        lines.append(f"P{p.id} in #{p.channel.lstrip('#')}: “{p.text}” — "
                     f"{plural(p.replies, 'reply', 'replies')} from "
                     f"{plural(p.participants, 'member')}{first}")  # fmt: skip
    return CardSection(heading="Open questions to the circle", lines=tuple(lines or ["None."]))


async def participation(ctx: RuleContext, period: Period) -> CardSection:
    first = period.since.astimezone(ctx.tz).date()
    last = (period.until - timedelta(microseconds=1)).astimezone(ctx.tz).date()
    b = await store.breadth(ctx.session, ctx.community, first=first, last=last)
    if not b.messages:
        return CardSection(heading="Participation", lines=("No messages.",))
    line = (
        f"{b.voices} voices, {b.messages} messages; the top 10% of posters "
        f"({b.top_posters} member{'s' if b.top_posters != 1 else ''}) wrote "
        f"{round(100 * b.top_share)}%"
    )
    return CardSection(heading="Participation", lines=(line,))


async def helpers(ctx: RuleContext, period: Period, limit: int) -> CardSection | None:
    questions = contract(ctx, "questions")
    if questions is None:
        return None
    rows: list[tuple[str, int]] = await questions.helper_counts(
        ctx.session, ctx.community, since=period.since, until=period.until
    )
    lines = [
        f"{await who(ctx, user)} {n} answer{'s' if n != 1 else ''}" for user, n in rows[:limit]
    ]
    return CardSection(
        heading="Helpers (for moderators only; thank them, never rank them in public)",
        lines=tuple(lines or ["No answers yet."]),
    )


async def moderators_sections(ctx: RuleContext, period: Period, limit: int) -> list[CardSection]:
    """Every section of the moderators' digest, in order; missing rules leave theirs out."""
    built = [
        await unanswered(ctx, period, limit),
        await answers(ctx, period),
        await newcomers(ctx, period, limit),
        await held(ctx, period, limit),
        await prompts(ctx, period),
        await participation(ctx, period),
        await helpers(ctx, period, limit),
    ]
    return [section for section in built if section is not None]
