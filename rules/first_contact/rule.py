"""The first-contact guard: hold a new member's link spam, mass mentions, cross-posts and floods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.actions import Action, ActionResult, DirectMessage, Hide, NotifyModerators
from bot.context import RuleContext
from bot.events import Event, MessageEdited, MessagePosted
from bot.rule import Command, Rule
from rules.first_contact import commands, links, store, texts
from rules.first_contact.settings import FirstContactSettings

# After one notice, further messages of the same member are held quietly for this long.
QUIET_AFTER_NOTICE = timedelta(minutes=10)
# Shorter texts (greetings, "thanks!") never count as cross-posts.
CROSS_POST_MIN_CHARS = 12
HIDE_TAG = "first_contact:hide:"


@dataclass
class Verdict:
    """Why a message is held (empty reasons: it is fine) and details for the moderators."""

    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, reason: str, note: str = "") -> None:
        self.reasons.append(reason)
        if note:
            self.notes.append(note)


def content_verdict(
    text: str, *, mass_mention: bool, mentions: Sequence[str], settings: FirstContactSettings
) -> Verdict:
    """Triggers that depend on the text alone: links, invites, mass mentions, many mentions."""
    verdict = Verdict()
    if settings.links:
        outside = links.disallowed_links(text, settings.allowed_domains)
        if len(outside) > settings.links_allowed:
            domains = sorted({link.domain for link in outside})
            verdict.add("links", ", ".join(domains))
            if any(link.is_invite for link in outside):
                verdict.add("invite")
    if settings.mentions:
        if mass_mention or links.has_mass_mention(text):
            verdict.add("mass_mention")
        distinct = set(mentions)
        if len(distinct) > settings.max_mentions:
            verdict.add("mentions", f"{len(distinct)} people")
    return verdict


class FirstContact(Rule):
    """Holds risky first-contact messages for review, explains kindly, loses nothing."""

    name = "first_contact"
    Settings = FirstContactSettings
    handles = (MessagePosted, MessageEdited)
    priority = 10

    async def on_event(self, event: Event, ctx: RuleContext) -> list[Action]:
        if event.is_bot:
            return []
        if isinstance(event, MessagePosted):
            if event.is_direct:
                return []
            channel_name = event.channel_name
        elif isinstance(event, MessageEdited):
            channel_name = None
        else:
            return []
        settings = ctx.settings_for(event.channel, channel_name)
        assert isinstance(settings, FirstContactSettings)
        if not settings.enabled:
            return []
        # most messages come from established members: that check first, the others after it
        member = await ctx.members.get(event.user)
        joined_at = member.joined_at if member else None
        count = member.message_count if member else 0
        if joined_at is None and settings.unseen_members == "established":
            return []  # was here before the bot: its message count starts at zero, not its tenure
        recently_joined = joined_at is not None and ctx.now - joined_at < settings.new_for
        if not recently_joined and count >= settings.min_messages:
            return []
        if self._exempt(event, ctx, settings):
            return []
        if isinstance(event, MessageEdited):
            if not settings.check_edits or await store.find_held(
                ctx.session, ctx.community, channel=event.channel, message_id=event.message_id
            ):
                return []
            verdict = content_verdict(
                event.text, mass_mention=False, mentions=(), settings=settings
            )
        else:
            verdict = content_verdict(
                event.text,
                mass_mention=event.mass_mention,
                mentions=event.mentions,
                settings=settings,
            )
            await self._behaviour(event, ctx, settings, verdict)
        if not verdict.reasons:
            return []
        ctx.consume()
        tenure = ctx.now - joined_at if joined_at is not None else None
        return await self._hold(event, ctx, verdict, tenure=tenure, messages=count)

    def _exempt(self, event: Event, ctx: RuleContext, settings: FirstContactSettings) -> bool:
        if ctx.is_moderator(event.user, roles=event.roles, is_admin=event.is_admin):
            return True
        return any(role in settings.trusted_roles for role in event.roles)

    async def _behaviour(
        self,
        event: MessagePosted,
        ctx: RuleContext,
        settings: FirstContactSettings,
        verdict: Verdict,
    ) -> None:
        """Floods and cross-posts: record this post, then count the member's recent ones."""
        digest = links.fingerprint(event.text)
        significant = links.significant_length(event.text) >= CROSS_POST_MIN_CHARS
        keep = max(settings.flood_window, settings.cross_post_window)
        await store.remember_post(
            ctx.session,
            community=ctx.community,
            user=event.user,
            channel=event.channel,
            message_id=event.message_id,
            digest=digest,
            significant=significant,
            now=ctx.now,
            keep_since=ctx.now - keep,
        )
        if settings.cross_posts and significant:
            channels = await store.channels_with_copy(
                ctx.session,
                community=ctx.community,
                user=event.user,
                digest=digest,
                since=ctx.now - settings.cross_post_window,
            )
            if len(channels) >= settings.cross_post_channels:
                others = [texts.channel_ref(c) for c in channels if c != event.channel]
                verdict.add("cross_post", "also in " + ", ".join(others))
        if settings.floods:
            recent = await store.posts_since(
                ctx.session,
                community=ctx.community,
                user=event.user,
                since=ctx.now - settings.flood_window,
            )
            if recent > settings.flood_messages:
                verdict.add("flood", f"{recent} messages in a row")

    async def _hold(
        self,
        event: MessagePosted | MessageEdited,
        ctx: RuleContext,
        verdict: Verdict,
        *,
        tenure: timedelta | None,
        messages: int,
    ) -> list[Action]:
        channel_name = event.channel_name if isinstance(event, MessagePosted) else None
        quiet = await store.recently_held(
            ctx.session, ctx.community, user=event.user, since=ctx.now - QUIET_AFTER_NOTICE
        )
        can_hide = ctx.capabilities.hide
        row = await store.hold(
            ctx.session,
            community=ctx.community,
            now=ctx.now,
            values={
                "user_id": event.user,
                "user_name": event.user_name,
                "channel": event.channel,
                "channel_name": channel_name,
                "message_id": event.message_id,
                "thread": event.thread,
                "text": event.text,
                "reasons": list(verdict.reasons),
                "details": {"notes": verdict.notes, "can_hide": can_hide, "hidden": False},
                "permalink": event.permalink if isinstance(event, MessagePosted) else None,
            },
        )
        actions: list[Action] = []
        if can_hide:
            actions.append(
                Hide(
                    community=ctx.community,
                    channel=event.channel,
                    message_id=event.message_id,
                    tag=f"{HIDE_TAG}{row.id}",
                )
            )
        if quiet:
            return actions
        where = channel_name or event.channel
        actions.append(
            DirectMessage(
                community=ctx.community,
                user=event.user,
                text=texts.author_notice(
                    name=event.user_name or event.user,
                    channel=where,
                    reasons=verdict.reasons,
                    intro_channel=ctx.config.community.intro_channel,
                ),
            )
        )
        details = f" ({'; '.join(verdict.notes)})" if verdict.notes else ""
        actions.append(
            NotifyModerators(
                community=ctx.community,
                text=texts.moderator_notice(
                    held_id=row.id,
                    user=event.user,
                    channel=where,
                    reasons=verdict.reasons,
                    details=details,
                    text=event.text,
                    joined_ago=tenure,
                    messages=messages,
                    hidden=can_hide,
                ),
                buttons=commands.decision_buttons(row.id),
            )
        )
        return actions

    async def on_sent(self, action: Action, result: ActionResult, ctx: RuleContext) -> None:
        """A Hide went through: approving will re-post the message."""
        tag = action.tag or ""
        if not isinstance(action, Hide) or not tag.startswith(HIDE_TAG):
            return
        row = await store.get_held(ctx.session, ctx.community, int(tag[len(HIDE_TAG) :]))
        if row is not None:
            await store.mark_hidden(ctx.session, row)

    def commands(self) -> Sequence[Command]:
        return commands.COMMANDS
