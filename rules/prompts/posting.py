"""Turning a library prompt into a post, and finding the tone of the next slot."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.actions import Post
from bot.context import RuleContext
from bot.rule import JobSpec
from bot.scheduling import WallClockCronTrigger
from rules.prompts import store
from rules.prompts.models import PromptEntry
from rules.prompts.settings import PromptsSettings, PromptTarget, slot_to_cron


def prompt_settings(ctx: RuleContext, channel: str | None = None) -> PromptsSettings:
    settings = ctx.settings_for(channel) if channel else ctx.settings
    assert isinstance(settings, PromptsSettings)
    return settings


def job_specs(settings: PromptsSettings) -> list[JobSpec]:
    """One job per target channel and time slot."""
    specs = []
    for target in settings.targets:
        for slot in target.schedule or settings.schedule:
            cron = slot_to_cron(slot)
            specs.append(
                JobSpec(
                    job_id=f"post:{target.channel}:{cron.replace(' ', '_')}",
                    cron=cron,
                    payload={"channel": target.channel, "tags": list(target.tags)},
                    grace_seconds=int(settings.grace.total_seconds()),
                )
            )
    return specs


def next_slot(settings: PromptsSettings, target: PromptTarget, ctx: RuleContext) -> datetime | None:
    """When `target` gets its next scheduled prompt (community time)."""
    fires = []
    for slot in target.schedule or settings.schedule:
        trigger = WallClockCronTrigger.from_crontab(slot_to_cron(slot), timezone=ctx.tz)
        fire = trigger.get_next_fire_time(None, ctx.now)
        if fire is not None:
            fires.append(fire)
    return min(fires) if fires else None


def tone_at(settings: PromptsSettings, moment: datetime, ctx: RuleContext) -> str:
    """The tone of the weekday of `moment` in the community's timezone."""
    return settings.tone_for(moment.astimezone(ctx.tz).weekday())


async def pick(
    ctx: RuleContext, *, channel: str, tone: str, tags: Sequence[str] = ()
) -> PromptEntry | None:
    """The next prompt for a channel; the configured library is synced first."""
    settings = prompt_settings(ctx, channel)
    await store.sync_library(ctx.session, ctx.community, settings.library, now=ctx.now)
    ordered = await store.queue(ctx.session, ctx.community, tone=tone, tags=tags)
    return ordered[0] if ordered else None


async def post_prompt(ctx: RuleContext, entry: PromptEntry, *, channel: str) -> Post:
    """Record the post and build it; `on_sent` learns its message id from the tag."""
    settings = prompt_settings(ctx, channel)
    post = await store.record_post(
        ctx.session, ctx.community, entry=entry, channel=channel, now=ctx.now
    )
    invite = (
        settings.invite
        if ctx.capabilities.threads
        else "Reply to this message: every voice counts."
    )
    text = f"{settings.intro}\n> {entry.text}\n{invite}"
    return Post(community=ctx.community, channel=channel, text=text, tag=f"prompt:{post.id}")
