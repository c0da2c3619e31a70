"""The digests rule: moderators' digests, members' weekly DM of open questions, breadth counters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.actions import Action, Card, CardSection, DirectMessage, NotifyModerators, Post
from bot.commands import respond
from bot.context import JobRun, RuleContext
from bot.events import CommandInvoked, Event, MessagePosted
from bot.rule import Command, JobSpec, Rule, RuleSettings
from rules.digests import sections, store
from rules.digests.sections import Period
from rules.digests.settings import DigestsSettings
from rules.prompts.settings import slot_to_cron

USAGE = "usage: /circle digest subscribe | unsubscribe | now [daily|weekly] (moderators)"
SPANS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


def render_text(card: Card) -> str:
    """The plain-text form of a card (platforms without rich cards)."""
    lines = [card.title]
    for section in card.sections:
        if section.heading:
            lines.append(f"*{section.heading}*")
        lines.extend(f"  • {line}" for line in section.lines)
    if card.footer:
        lines.append(card.footer)
    return "\n".join(lines)


def with_card(ctx: RuleContext, card: Card, summary: str) -> dict[str, Any]:
    """Card plus a short summary where cards render; the whole digest as text elsewhere."""
    if ctx.capabilities.rich_cards:
        return {"card": card, "text": summary}
    return {"text": render_text(card)}


class Digests(Rule):
    """Digests for moderators and subscribers; counts who speaks, never ranks members publicly."""

    name = "digests"
    Settings = DigestsSettings
    handles = (MessagePosted,)
    priority = 90

    async def on_event(self, event: Event, ctx: RuleContext) -> list[Action]:
        if isinstance(event, MessagePosted) and not event.is_bot and not event.is_direct:
            await store.record_message(
                ctx.session,
                ctx.community,
                day=event.at.astimezone(ctx.tz).date(),
                channel=event.channel,
                channel_name=event.channel_name,
                user=event.user,
            )
        return []

    def jobs(self, ctx_settings: RuleSettings) -> Sequence[JobSpec]:
        assert isinstance(ctx_settings, DigestsSettings)
        grace = int(ctx_settings.grace.total_seconds())
        crons = {
            "daily": ctx_settings.daily_cron(),
            "weekly": slot_to_cron(ctx_settings.weekly) if ctx_settings.weekly else None,
            "members": (
                slot_to_cron(ctx_settings.members_weekly) if ctx_settings.members_weekly else None
            ),
        }
        return [JobSpec(job, cron, grace_seconds=grace) for job, cron in crons.items() if cron]

    async def on_job(self, run: JobRun, ctx: RuleContext) -> list[Action]:
        if run.job_id == "members":
            return await self._members(ctx)
        digest = await self.moderators_digest(ctx, run.job_id, until=run.fire_time)
        settings = _settings(ctx)
        if settings.channel:
            return [Post(community=ctx.community, channel=settings.channel, **digest)]
        return [NotifyModerators(community=ctx.community, **digest)]

    async def moderators_digest(self, ctx: RuleContext, kind: str, *, until: Any) -> dict[str, Any]:
        """The moderators' digest (`daily` or `weekly`) ending at `until`, as action fields."""
        period = Period(kind, until - SPANS[kind], until)
        found = await sections.moderators_sections(ctx, period, _settings(ctx).max_items)
        local = until.astimezone(ctx.tz)
        card = Card(
            title=f"Circle digest ({kind}), {local:%a %d %b %Y}",
            sections=tuple(found),
            footer="Counts are for moderators: thank helpers in person, never rank members.",
        )
        return with_card(ctx, card, _summary(kind, found))

    async def _members(self, ctx: RuleContext) -> list[Action]:
        actions: list[Action] = []
        for user in await store.subscribers(ctx.session, ctx.community):
            message = await self.member_digest(ctx, user)
            if message is not None:
                actions.append(DirectMessage(community=ctx.community, user=user, **message))
        return actions

    async def member_digest(self, ctx: RuleContext, user: str) -> dict[str, Any] | None:
        """Open questions in the channels `user` is active in, not their own; None if none."""
        questions = sections.contract(ctx, "questions")
        if questions is None:
            return None
        settings = _settings(ctx)
        since = (ctx.now - settings.active_window).astimezone(ctx.tz).date()
        found: dict[int, Any] = {}
        for channel in await store.active_channels(
            ctx.session, ctx.community, user=user, since=since
        ):
            for q in await questions.open_questions(
                ctx.session, ctx.community, now=ctx.now, channel=channel, limit=settings.max_items
            ):
                if q.asker != user and q.claimed_by is None:
                    found[q.id] = q
        ordered = sorted(found.values(), key=lambda q: (q.asked_at, q.id))[: settings.max_items]
        if not ordered:
            return None
        lines = tuple(
            f"Q{q.id} #{q.channel.lstrip('#')}, {sections.age(ctx.now - q.asked_at)} old: "
            f"{q.excerpt}" + (f" {q.permalink}" if q.permalink else "")
            for q in ordered
        )
        card = Card(
            title="Open questions you could answer",
            sections=(CardSection(heading="In the channels you are active in", lines=lines),),
            footer="Stop these with /circle digest unsubscribe.",
        )
        return with_card(ctx, card, f"{len(lines)} open questions you could answer")

    def commands(self) -> Sequence[Command]:
        return (
            Command(
                "digest",
                "digest subscribe|unsubscribe|now",
                "weekly DM of open questions you could answer; `now`: moderators' preview",
                self._command,
                moderator_only=False,
            ),
        )

    async def _command(
        self, cmd: CommandInvoked, args: list[str], ctx: RuleContext
    ) -> list[Action]:
        sub = args[0].lower() if args else ""
        if sub == "subscribe":
            new = await store.subscribe(ctx.session, ctx.community, cmd.user, now=ctx.now)
            text = "You will get a weekly DM of open questions in the channels you are active in."
            return [respond(cmd, text if new else "You are already subscribed.")]
        if sub == "unsubscribe":
            gone = await store.unsubscribe(ctx.session, ctx.community, cmd.user)
            return [respond(cmd, "Unsubscribed." if gone else "You were not subscribed.")]
        if sub == "now":
            if not ctx.is_moderator(cmd.user, roles=cmd.roles, is_admin=cmd.is_admin):
                return [
                    respond(
                        cmd, "The digest preview is for moderators; try /circle digest subscribe."
                    )
                ]
            kind = args[1].lower() if len(args) > 1 and args[1].lower() in SPANS else "daily"
            digest = await self.moderators_digest(ctx, kind, until=ctx.now)
            return [respond(cmd, digest.get("text", ""), card=digest.get("card"))]
        return [respond(cmd, USAGE)]


def _settings(ctx: RuleContext) -> DigestsSettings:
    settings = ctx.settings
    assert isinstance(settings, DigestsSettings)
    return settings


def _summary(kind: str, found: Sequence[CardSection]) -> str:
    """The one-line notification text that goes with the card."""
    headings = ", ".join(s.heading.split(" (")[0].lower() for s in found)
    return f"Circle {kind} digest: {headings}"
