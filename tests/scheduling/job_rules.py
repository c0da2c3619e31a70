"""A rule with configurable cron jobs that records every run (scheduling tests and replicas)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from bot.actions import Action, Post
from bot.context import JobRun, RuleContext
from bot.rule import JobSpec, Rule, RuleSettings


class TickerSettings(RuleSettings):
    """Cron expressions to run, and the grace period of missed fires."""

    crons: list[str] = Field(default_factory=lambda: ["30 2 * * *", "0 9 * * *"])
    grace_seconds: int = 3600


class TickerRule(Rule):
    """Posts `job fire-time` on every fire and remembers it in `RUNS`."""

    name = "ticker"
    Settings = TickerSettings
    RUNS: ClassVar[list[tuple[str, str]]] = []

    def jobs(self, ctx_settings: RuleSettings) -> list[JobSpec]:
        assert isinstance(ctx_settings, TickerSettings)
        return [
            JobSpec(f"job{n}", cron, grace_seconds=ctx_settings.grace_seconds)
            for n, cron in enumerate(ctx_settings.crons)
        ]

    async def on_job(self, run: JobRun, ctx: RuleContext) -> list[Action]:
        stamp = run.fire_time.astimezone(ctx.tz).isoformat()
        TickerRule.RUNS.append((run.job_id, stamp))
        return [Post(community=run.community, channel="general", text=f"{run.job_id} {stamp}")]
