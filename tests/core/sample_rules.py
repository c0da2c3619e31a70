"""Small rules used only by the core tests: they exercise every engine path."""

from __future__ import annotations

from datetime import timedelta

from bot.actions import Action, Post, Reply
from bot.commands import respond
from bot.context import DueItem, JobRun, RuleContext
from bot.durations import Duration
from bot.events import CommandInvoked, Event, MessagePosted
from bot.rule import Command, JobSpec, Rule, RuleSettings


class EchoSettings(RuleSettings):
    """Settings of the echo rule."""

    remind_after: Duration = timedelta(minutes=10)
    word: str = "ping"


class EchoRule(Rule):
    """Replies `pong` to `ping`, and reminds once after `remind_after`."""

    name = "echo"
    Settings = EchoSettings
    handles = (MessagePosted,)

    async def on_event(self, event: Event, ctx: RuleContext) -> list[Action]:
        assert isinstance(event, MessagePosted)
        settings = ctx.settings_for(event.channel)
        assert isinstance(settings, EchoSettings)
        if event.text != settings.word:
            return []
        await ctx.deadlines.set(
            f"remind:{event.message_id}",
            ctx.now + settings.remind_after,
            {"channel": event.channel, "message": event.message_id},
        )
        return [
            Reply(
                community=event.community,
                channel=event.channel,
                message_id=event.message_id,
                text="pong",
            )
        ]

    async def on_due(self, item: DueItem, ctx: RuleContext) -> list[Action]:
        return [
            Post(
                community=item.community,
                channel=item.payload["channel"],
                text=f"reminder for {item.payload['message']} at {ctx.now.isoformat()}",
            )
        ]

    def commands(self) -> list[Command]:
        return [
            Command("echo", "echo TEXT", "say it back", self._echo, moderator_only=False),
            Command("secret", "secret", "moderators only", self._echo),
        ]

    async def _echo(self, cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
        return [respond(cmd, " ".join(args) or "(nothing)")]

    def jobs(self, ctx_settings: RuleSettings) -> list[JobSpec]:
        return [JobSpec("weekly", "0 10 * * tue", grace_seconds=3600)]

    async def on_job(self, run: JobRun, ctx: RuleContext) -> list[Action]:
        return [
            Post(
                community=run.community, channel="general", text=f"job {run.fire_time.isoformat()}"
            )
        ]


class BrokenRule(Rule):
    """Raises on every message: the engine must carry on without it."""

    name = "broken"
    handles = (MessagePosted,)
    priority = 1

    async def on_event(self, event: Event, ctx: RuleContext) -> list[Action]:
        raise RuntimeError("this rule is broken on purpose")
