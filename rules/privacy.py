"""Privacy: stored message text is kept only as long as needed, and `forget <member>` erases it."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from sqlalchemy import Text, cast, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import Action, Button
from bot.commands import respond
from bot.context import JobRun, RuleContext
from bot.durations import Duration
from bot.events import CommandInvoked
from bot.rule import Command, JobSpec, Rule, RuleSettings
from bot.storage.deferred_writes import flush_deferred
from bot.storage.members import Members
from bot.storage.models import Member, OutboxEntry

log = logging.getLogger(__name__)

PURGE_CRON = "30 3 * * *"  # daily, at a quiet hour of the community's timezone
FINISHED = ("sent", "failed")
_MENTION = re.compile(r"^<@!?([^|>\s]+)(?:\|[^>]*)?>$")


class PrivacySettings(RuleSettings):
    """How long stored message text is kept once it is no longer needed."""

    retention: Duration = timedelta(days=30)


def contract_stores(package: str = "rules") -> list[ModuleType]:
    """The `store` module of every rule package (the cross-rule data contracts)."""
    root = importlib.import_module(package)
    stores = []
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        try:
            stores.append(importlib.import_module(f"{package}.{info.name}.store"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.{info.name}.store":
                raise
    return stores


def store_name(store: ModuleType) -> str:
    return store.__name__.split(".")[-2]


async def purge_core_text(session: AsyncSession, community: str, *, before: datetime) -> int:
    """Delete delivered or failed outbox rows (they hold sent text) created before `before`."""
    result = await session.execute(
        delete(OutboxEntry).where(
            OutboxEntry.community == community,
            OutboxEntry.status.in_(FINISHED),
            OutboxEntry.created_at < before,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def forget_core(session: AsyncSession, community: str, user: str) -> int:
    """Erase the member's name (counts stay) and finished outbox rows that name or address them."""
    await flush_deferred(session)  # this batch's queued member upserts first, then the erasure
    named = await session.execute(
        update(Member)
        .where(Member.community == community, Member.user_id == user)
        .values(name=None)
    )
    Members(session, community=community).forget_cached(user)
    payload = cast(OutboxEntry.payload, Text)
    sent = await session.execute(
        delete(OutboxEntry).where(
            OutboxEntry.community == community,
            OutboxEntry.status.in_(FINISHED),
            or_(
                payload.contains(f'"{user}"', autoescape=True),
                payload.contains(f"<@{user}>", autoescape=True),
            ),
        )
    )
    return sum(int(getattr(r, "rowcount", 0) or 0) for r in (named, sent))


async def find_member(session: AsyncSession, community: str, ref: str) -> str | None:
    """A member id from a mention (`<@U1>`, `<@!1>`, `<@U1|ann>`), an id, or a unique name."""
    match = _MENTION.match(ref)
    if match:
        return match.group(1)
    await flush_deferred(session)  # members first seen in this batch are queued, not stored
    if await session.get(Member, (community, ref)) is not None:
        return ref
    name = ref.lstrip("@")
    ids = (
        await session.scalars(
            select(Member.user_id).where(Member.community == community, Member.name == name)
        )
    ).all()
    return ids[0] if len(ids) == 1 else None


class Privacy(Rule):
    """Purges stored text after the retention period (daily) and forgets members on request."""

    name = "privacy"
    Settings = PrivacySettings
    priority = 900

    def stores(self) -> Sequence[Any]:
        """The rule stores whose contract functions this rule calls."""
        return contract_stores()

    def jobs(self, ctx_settings: RuleSettings) -> list[JobSpec]:
        return [JobSpec("purge", PURGE_CRON, grace_seconds=24 * 3600)]

    async def on_job(self, run: JobRun, ctx: RuleContext) -> list[Action]:
        settings = ctx.settings
        assert isinstance(settings, PrivacySettings)
        before = ctx.now - settings.retention
        counts = {"core": await purge_core_text(ctx.session, ctx.community, before=before)}
        for store in self.stores():
            purge = getattr(store, "purge_text", None)
            if purge is not None:
                counts[store_name(store)] = int(
                    await purge(ctx.session, ctx.community, before=before)
                )
        log.info("purged stored text older than %s in %s: %s", before, ctx.community, counts)
        return []

    def commands(self) -> list[Command]:
        return [
            Command(
                "forget",
                "forget <member>",
                "erase a member's stored messages and name (counts stay)",
                self._forget,
            )
        ]

    async def _forget(self, cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
        confirmed = bool(args) and args[-1].lower() == "confirm"
        refs = args[:-1] if confirmed else args
        if len(refs) != 1:
            return [respond(cmd, "Usage: `/circle forget <member>` (a mention, id or name).")]
        user = await find_member(ctx.session, ctx.community, refs[0])
        if user is None:
            return [respond(cmd, f"I don't know a member {refs[0]!r} here; try their mention.")]
        if not confirmed:
            command = f"forget {user} confirm"
            text = (
                f"This erases what I stored about <@{user}>: message text, excerpts, name and "
                f"ids in my records. Counts stay. It cannot be undone. Run `/circle {command}` "
                "or press the button to go ahead."
            )
            button = Button(label="Forget this member", command=command, style="danger")
            return [respond(cmd, text, buttons=(button,))]
        erased = await forget_core(ctx.session, ctx.community, user)
        for store in self.stores():
            forget = getattr(store, "forget_member", None)
            if forget is not None:
                erased += int(await forget(ctx.session, ctx.community, user))
        log.info("a moderator had a member forgotten in %s (%d records)", ctx.community, erased)
        return [
            respond(
                cmd,
                f"Done: I erased {erased} stored record(s) of that member. Counts stay; "
                "new messages from them are handled as usual.",
            )
        ]


RULES = (Privacy,)
