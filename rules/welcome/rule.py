"""Welcome newcomers with the circle's norms, invite an introduction, follow up once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.actions import Action, DirectMessage, NotifyModerators, Post
from bot.context import DueItem, RuleContext
from bot.durations import format_duration
from bot.events import Event, MemberJoined, MemberLeft, MessagePosted
from bot.rule import Rule
from rules.first_contact.store import held_in_channels
from rules.welcome import store, texts
from rules.welcome.models import Newcomer
from rules.welcome.settings import WelcomeSettings

BURST_KEY = "burst"
EXCERPT_CHARS = 280


class Welcome(Rule):
    """Greets each newcomer once, tracks introductions, and combines welcomes during bursts."""

    name = "welcome"
    Settings = WelcomeSettings
    handles = (MemberJoined, MemberLeft, MessagePosted)
    priority = 20

    def _settings(self, ctx: RuleContext) -> WelcomeSettings:
        settings = ctx.settings
        assert isinstance(settings, WelcomeSettings)
        return settings

    async def on_event(self, event: Event, ctx: RuleContext) -> list[Action]:
        if event.is_bot:
            return []
        if isinstance(event, MemberJoined):
            return await self._joined(event, ctx)
        if isinstance(event, MemberLeft):
            row = await store.get(ctx.session, ctx.community, event.user)
            if row is not None:
                await store.change(ctx.session, row, left_at=event.at)
            await ctx.deadlines.cancel(store.follow_up_key(event.user))
            return []
        if isinstance(event, MessagePosted):
            await self._maybe_intro(event, ctx)
        return []

    # joins ----------------------------------------------------------------------------------

    async def _joined(self, event: MemberJoined, ctx: RuleContext) -> list[Action]:
        settings = self._settings(ctx)
        before = await store.get(ctx.session, ctx.community, event.user)
        already = before is not None and (
            before.burst_pending
            or (
                before.welcomed_at is not None
                and event.at - before.welcomed_at < settings.rewelcome_after
            )
        )
        if already:
            row = await self._record_join(event, ctx, before)
            if row.welcomed_at is not None:
                await self._schedule_follow_up(row, ctx, settings, since=row.welcomed_at)
            return []
        active = await ctx.deadlines.get(BURST_KEY) is not None
        since = event.at - settings.burst_window
        recent = await store.joins_since(ctx.session, ctx.community, since=since)
        if before is None or before.last_joined_at < since:
            recent += 1  # this join, counted before it is written (one statement per join)
        if active or recent > settings.burst_threshold:
            await self._record_join(event, ctx, before, burst_pending=True)
            if not active:
                await ctx.deadlines.set(BURST_KEY, ctx.now + settings.burst_window)
            return []
        row = await self._record_join(
            event, ctx, before, welcomed_at=event.at, welcome_kind="individual"
        )
        await self._schedule_follow_up(row, ctx, settings, since=event.at)
        return self._greet(row, ctx, settings)

    async def _record_join(
        self, event: MemberJoined, ctx: RuleContext, before: Newcomer | None, **also: Any
    ) -> Newcomer:
        return await store.write_join(
            ctx.session,
            before,
            community=ctx.community,
            user=event.user,
            name=event.user_name,
            channel=event.channel,
            at=event.at,
            **also,
        )

    def _greet(self, row: Newcomer, ctx: RuleContext, settings: WelcomeSettings) -> list[Action]:
        section = ctx.config.community
        member = texts.mention(row.user_id)
        channel = settings.channel or section.welcome_channel or row.join_channel
        deliver = settings.deliver if channel else "dm"
        actions: list[Action] = []
        if deliver in {"channel", "both"} and channel:
            default = texts.PUBLIC if deliver == "both" else texts.FULL
            text = texts.render(settings.message or default, section, member=member)
            actions.append(Post(community=ctx.community, channel=channel, text=text))
        if deliver in {"dm", "both"}:
            text = texts.render(settings.dm_message or texts.FULL, section, member=member)
            actions.append(DirectMessage(community=ctx.community, user=row.user_id, text=text))
        return actions

    async def _schedule_follow_up(
        self, row: Newcomer, ctx: RuleContext, settings: WelcomeSettings, *, since: datetime
    ) -> None:
        if not settings.intro_follow_up or not ctx.config.community.intro_channel:
            return
        if row.introduced_at is not None or row.followed_up_at is not None:
            return
        due = max(since + settings.intro_follow_up_after, ctx.now)
        await ctx.deadlines.set(store.follow_up_key(row.user_id), due, {"user": row.user_id})

    # introductions --------------------------------------------------------------------------

    async def _maybe_intro(self, event: MessagePosted, ctx: RuleContext) -> None:
        intro = ctx.config.community.intro_channel
        if not intro or event.is_direct or not _in_channel(event, intro):
            return
        if event.thread is not None and event.thread != event.message_id:
            return  # a reply in someone else's introduction is not one's own
        row = await store.get(ctx.session, ctx.community, event.user)
        if row is not None and row.introduced_at is not None:
            return
        introduction: dict[str, object] = {
            "introduced_at": event.at,
            "intro_channel": event.channel,
            "intro_message_id": event.message_id,
            "intro_excerpt": _excerpt(event.text),
        }
        if row is None:
            member = await ctx.members.get(event.user)
            if member is None or member.joined_at is None:
                return  # a long-standing member: not a newcomer
            await store.write_join(  # the row and its introduction in one statement
                ctx.session,
                None,
                community=ctx.community,
                user=event.user,
                name=event.user_name,
                channel=None,
                at=member.joined_at,
                **introduction,
            )
        else:
            await store.change(ctx.session, row, **introduction)
        await ctx.deadlines.cancel(store.follow_up_key(event.user))

    # deadlines ------------------------------------------------------------------------------

    async def on_due(self, item: DueItem, ctx: RuleContext) -> list[Action]:
        if item.key == BURST_KEY:
            return await self._combined_welcome(ctx)
        if item.key.startswith("follow_up:"):
            return await self._follow_up(str(item.payload.get("user")), ctx)
        return []

    async def _follow_up(self, user: str, ctx: RuleContext) -> list[Action]:
        settings = self._settings(ctx)
        section = ctx.config.community
        row = await store.get(ctx.session, ctx.community, user)
        if row is None or not settings.intro_follow_up or not section.intro_channel:
            return []
        if row.introduced_at or row.followed_up_at or row.left_at:
            return []
        if await held_in_channels(
            ctx.session, ctx.community, user=user, channels={section.intro_channel}
        ):
            return []  # they did introduce themselves; the post is waiting for a moderator
        await store.change(ctx.session, row, followed_up_at=ctx.now)
        template = settings.intro_follow_up_message or texts.FOLLOW_UP
        text = texts.render(template, section, member=texts.mention(user))
        return [DirectMessage(community=ctx.community, user=user, text=text)]

    async def _combined_welcome(self, ctx: RuleContext) -> list[Action]:
        settings = self._settings(ctx)
        section = ctx.config.community
        rows: Sequence[Newcomer] = await store.burst_pending(ctx.session, ctx.community)
        if not rows:
            return []
        users = [row.user_id for row in rows]
        channel = settings.channel or section.welcome_channel or rows[-1].join_channel
        who = texts.names(users, settings.burst_names_shown)
        actions: list[Action] = []
        if channel:
            template = settings.burst_message or texts.BURST
            text = texts.render(template, section, members=who, count=str(len(users)))
            actions.append(Post(community=ctx.community, channel=channel, text=text))
        notice = texts.burst_notice(
            count=len(users),
            threshold=settings.burst_threshold,
            window=format_duration(settings.burst_window),
            channel=channel,
            who=who,
        )
        actions.append(NotifyModerators(community=ctx.community, text=notice))
        for row in rows:
            await store.change(
                ctx.session, row, burst_pending=False, welcomed_at=ctx.now, welcome_kind="combined"
            )
            await self._schedule_follow_up(row, ctx, settings, since=ctx.now)
        return actions


def _in_channel(event: MessagePosted, channel: str) -> bool:
    wanted = channel.lstrip("#")
    return wanted == event.channel or wanted == (event.channel_name or "").lstrip("#")


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1].rstrip() + "…"
