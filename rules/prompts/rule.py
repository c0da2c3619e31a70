"""The prompts rule: open questions to the circle on a schedule, chosen and voted by members."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.actions import Action, ActionResult
from bot.context import JobRun, RuleContext
from bot.events import Event, MessagePosted, ReactionAdded, ReactionRemoved
from bot.rule import Command, JobSpec, Rule, RuleSettings
from rules.prompts import store
from rules.prompts.commands import prompt_command, suggest_command
from rules.prompts.posting import job_specs, pick, post_prompt, prompt_settings, tone_at
from rules.prompts.settings import PromptsSettings

log = logging.getLogger(__name__)


class Prompts(Rule):
    """Scheduled open questions to the circle, suggested and voted by members."""

    name = "prompts"
    Settings = PromptsSettings
    handles = (MessagePosted, ReactionAdded, ReactionRemoved)
    priority = 60

    async def on_event(self, event: Event, ctx: RuleContext) -> list[Action]:
        if event.is_bot:
            return []
        if isinstance(event, MessagePosted):
            await self._count_reply(event, ctx)
        elif isinstance(event, ReactionAdded | ReactionRemoved):
            suggestion = await store.suggestion_for_message(
                ctx.session, ctx.community, event.message_id
            )
            if suggestion is not None and suggestion.user != event.user:
                await store.change_vote(
                    ctx.session,
                    suggestion,
                    user=event.user,
                    emoji=event.emoji,
                    added=isinstance(event, ReactionAdded),
                )
        return []

    async def _count_reply(self, event: MessagePosted, ctx: RuleContext) -> None:
        thread, reply_to = event.thread, event.reply_to
        if event.is_direct or not (thread or reply_to):
            return  # most messages are neither in a thread nor replies
        for root in dict.fromkeys(r for r in (thread, reply_to) if r):
            post = await store.post_for_message(ctx.session, ctx.community, root)
            if post is not None:
                await store.count_reply(ctx.session, post, user=event.user, at=event.at)
                return

    def commands(self) -> Sequence[Command]:
        return (
            Command(
                "prompt",
                "prompt list|add|skip|now|approve S<n>|reject S<n>",
                "the open-question library and members' suggestions",
                prompt_command,
            ),
            Command(
                "suggest",
                "suggest <question>",
                "suggest an open question for the circle; members vote with reactions",
                suggest_command,
                moderator_only=False,
            ),
        )

    def jobs(self, ctx_settings: RuleSettings) -> Sequence[JobSpec]:
        assert isinstance(ctx_settings, PromptsSettings)
        return job_specs(ctx_settings)

    async def on_job(self, run: JobRun, ctx: RuleContext) -> list[Action]:
        channel = str(run.payload["channel"])
        settings = prompt_settings(ctx, channel)
        tone = tone_at(settings, run.fire_time, ctx)
        entry = await pick(ctx, channel=channel, tone=tone, tags=run.payload.get("tags") or ())
        if entry is None:
            log.warning("no %s prompt left for #%s in %s", tone, channel, ctx.community)
            return []
        return [await post_prompt(ctx, entry, channel=channel)]

    async def on_sent(self, action: Action, result: ActionResult, ctx: RuleContext) -> None:
        kind, _, ident = (action.tag or "").partition(":")
        if not result.message_id or not ident.isdigit():
            return
        if kind == "prompt":
            await store.set_post_message(
                ctx.session, int(ident), message_id=result.message_id, channel=result.channel
            )
        elif kind == "suggestion":
            await store.set_suggestion_message(
                ctx.session, int(ident), message_id=result.message_id, channel=result.channel
            )
