"""Executing core actions on Discord, with HTTP errors mapped to Transient/PermanentError."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord

from adapters.discord.embeds import card_embed
from adapters.discord.interactions import InteractionSlots, Slot
from adapters.discord.views import build_view
from bot.actions import (
    Action,
    ActionResult,
    DirectMessage,
    Ephemeral,
    Hide,
    NotifyModerators,
    Post,
    React,
    Reply,
    Respond,
    SetTags,
)
from bot.adapter import PermanentError, TransientError, split_community

log = logging.getLogger(__name__)

CONTENT_MAX = 2000
FORUM_TITLE_MAX = 100
APPLIED_TAGS_MAX = 5
EMOJI = {
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "ballot_box_with_check": "☑️",
    "+1": "👍",
    "thumbsup": "👍",
    "heart": "❤️",
    "eyes": "👀",
    "wave": "👋",
    "tada": "🎉",
    "pray": "🙏",
    "raised_hands": "🙌",
    "sparkles": "✨",
    "hourglass": "⌛",
    "question": "❓",
}
FORBIDDEN_CODES = {50007: "dm_closed", 50013: "missing_permissions", 50001: "missing_access"}
GONE_CODES = {10003: "unknown_channel", 10008: "unknown_message", 10013: "unknown_user"}
TagsApplied = Callable[[str, tuple[str, ...]], None]


def chunks(text: str, size: int = CONTENT_MAX) -> list[str]:
    """Split text into Discord-sized messages, at line breaks where possible."""
    out: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > size // 2 else size
        out.append(text[:cut])
        text = text[cut:].lstrip("\n")
    out.append(text)
    return out


async def mapped(call: Awaitable[Any]) -> Any:
    """Await a discord.py call, turning failures into the core's error types."""
    try:
        return await call
    except discord.RateLimited as exc:
        raise TransientError(f"rate limited: {exc}", retry_after=exc.retry_after) from exc
    except discord.HTTPException as exc:
        code = getattr(exc, "code", 0)
        if code in FORBIDDEN_CODES:
            raise PermanentError(str(exc), code=FORBIDDEN_CODES[code]) from exc
        if code in GONE_CODES:
            raise PermanentError(str(exc), code=GONE_CODES[code], tell_moderators=False) from exc
        if exc.status == 429 or exc.status >= 500:
            raise TransientError(f"Discord answered {exc.status}: {exc}") from exc
        raise PermanentError(
            f"Discord answered {exc.status}: {exc}", code=f"http_{exc.status}"
        ) from exc
    except (aiohttp.ClientError, TimeoutError, ConnectionError) as exc:
        raise TransientError(f"network: {exc!r}") from exc


class ActionSender:
    """Carries out one action through the client; `execute` raises core errors only."""

    def __init__(
        self, client: discord.Client, slots: InteractionSlots, on_tags_applied: TagsApplied
    ) -> None:
        self.client = client
        self.slots = slots
        self.on_tags_applied = on_tags_applied

    async def execute(self, action: Action) -> ActionResult:
        if isinstance(action, Post):
            return await self._post(action)
        if isinstance(action, Reply):
            return await self._reply(action)
        if isinstance(action, DirectMessage):
            return await self._dm(action.user, action)
        if isinstance(action, Respond):
            return await self._respond(action)
        if isinstance(action, Ephemeral):
            slot = self.slots.latest_for(action.user, action.channel)
            if slot is None:
                return await self._dm(action.user, action)
            return await self._answer(slot, action, public=False)
        if isinstance(action, React):
            return await self._react(action)
        if isinstance(action, Hide):
            return await self._hide(action)
        if isinstance(action, NotifyModerators):
            return await self._owner(action)
        if isinstance(action, SetTags):
            return await self._set_tags(action)
        raise TypeError(f"the Discord adapter cannot execute {type(action).__name__}")

    # ----- targets ---------------------------------------------------------------------------

    def guild(self, community: str) -> discord.Guild:
        _, raw = split_community(community)
        guild = self.client.get_guild(int(raw)) if raw.isdigit() else None
        if guild is None:
            raise TransientError(f"guild {raw} is not available (yet)")
        return guild

    async def channel(self, community: str, ref: str) -> Any:
        """A channel, thread or forum by id, or by configured name (`mods`, `#mods`)."""
        if ref.isdigit():
            found = self.client.get_channel(int(ref))
            return found if found is not None else await mapped(self.client.fetch_channel(int(ref)))
        guild = self.guild(community)
        name = ref.lstrip("#").lower()
        for candidate in [*guild.channels, *guild.threads]:
            if candidate.name.lower() == name:
                return candidate
        raise PermanentError(f"no channel named {ref!r} in {guild.name}", code="unknown_channel")

    # ----- message building --------------------------------------------------------------------

    @staticmethod
    def message_parts(action: Action) -> list[dict[str, Any]]:
        """Keyword arguments for one or more sends: text chunks, then the embed and buttons."""
        view, left_out = build_view(action.buttons)
        text = action.text
        if left_out:
            hints = "  ".join(f"[{b.label}: /circle {b.command}]" for b in left_out)
            text = f"{text}\n{hints}".strip()
        parts: list[dict[str, Any]] = [{"content": c} for c in chunks(text)] if text else [{}]
        last = parts[-1]
        if action.card is not None:
            last["embed"] = card_embed(action.card)
        if view is not None:
            last["view"] = view
        if not last.get("content") and "embed" not in last:
            last["content"] = "\u200b"
        return parts

    async def _send(self, target: Any, action: Action, **extra: Any) -> ActionResult:
        message: discord.Message | None = None
        for index, part in enumerate(self.message_parts(action)):
            kwargs = {**part, **(extra if index == 0 else {})}
            message = await mapped(target.send(**kwargs))
        assert message is not None
        return ActionResult(message_id=str(message.id), channel=str(message.channel.id))

    async def _post(self, action: Post) -> ActionResult:
        target = await self.channel(action.community, action.thread or action.channel)
        if isinstance(target, discord.ForumChannel):
            lines = action.text.strip().splitlines()
            title = action.card.title if action.card else (lines[0] if lines else "circlebot")
            parts = self.message_parts(action)
            created = await mapped(target.create_thread(name=title[:FORUM_TITLE_MAX], **parts[0]))
            return ActionResult(message_id=str(created.message.id), channel=str(created.thread.id))
        return await self._send(target, action)

    async def _reply(self, action: Reply) -> ActionResult:
        target = await self.channel(action.community, action.thread or action.channel)
        reference = discord.MessageReference(
            message_id=int(action.message_id),
            channel_id=target.id,
            fail_if_not_exists=False,
        )
        return await self._send(target, action, reference=reference)

    async def _dm(self, user: str, action: Action) -> ActionResult:
        if not user.isdigit():
            raise PermanentError(f"not a Discord user id: {user!r}", code="unknown_user")
        channel = await mapped(self.client.create_dm(discord.Object(id=int(user))))
        return await self._send(channel, action)

    async def _owner(self, action: NotifyModerators) -> ActionResult:
        owner = self.guild(action.community).owner_id
        if owner is None:
            raise PermanentError("the guild has no owner to notify", code="no_moderators")
        return await self._dm(str(owner), action)

    # ----- interactions ------------------------------------------------------------------------

    async def _respond(self, action: Respond) -> ActionResult:
        slot = self.slots.get(action.reply_handle)
        if slot is not None:
            return await self._answer(slot, action, public=action.public)
        if action.public:
            return await self._post(Post(**_common(action), channel=action.channel))
        return await self._dm(action.user, action)

    async def _answer(self, slot: Slot, action: Action, *, public: bool) -> ActionResult:
        interaction = slot.interaction
        parts = self.message_parts(action)
        message: discord.Message | None = None
        for part in parts:
            if slot.kind == "command" and not slot.resolved and not public:
                edit = {k: v for k, v in part.items() if k != "embed"}
                if "embed" in part:
                    edit["embeds"] = [part["embed"]]
                message = await mapped(interaction.edit_original_response(**edit))
                slot.resolved = True
                continue
            if slot.kind == "command" and not slot.resolved:
                await mapped(interaction.delete_original_response())
                slot.resolved = True
            message = await mapped(
                interaction.followup.send(**part, ephemeral=not public, wait=True)
            )
        assert message is not None
        return ActionResult(message_id=str(message.id), channel=slot.channel)

    # ----- message operations ----------------------------------------------------------------

    async def _react(self, action: React) -> ActionResult:
        target = await self.channel(action.community, action.channel)
        emoji: Any = EMOJI.get(action.emoji.strip(":"), action.emoji.strip(":"))
        guild = getattr(target, "guild", None)
        custom = discord.utils.get(guild.emojis, name=emoji) if guild else None
        await mapped(
            target.get_partial_message(int(action.message_id)).add_reaction(custom or emoji)
        )
        return ActionResult(message_id=action.message_id, channel=str(target.id))

    async def _hide(self, action: Hide) -> ActionResult:
        target = await self.channel(action.community, action.channel)
        try:
            await mapped(target.get_partial_message(int(action.message_id)).delete())
        except PermanentError as exc:
            if exc.code != "unknown_message":
                raise
            return ActionResult(message_id=action.message_id, detail="already deleted")
        return ActionResult(message_id=action.message_id, channel=str(target.id))

    async def _set_tags(self, action: SetTags) -> ActionResult:
        thread = await self.channel(action.community, action.thread)
        forum = getattr(thread, "parent", None)
        if not isinstance(thread, discord.Thread) or not isinstance(forum, discord.ForumChannel):
            raise PermanentError(f"{action.thread} is not a forum post", code="not_a_forum_post")
        by_name = {tag.name.lower(): tag for tag in forum.available_tags}
        missing = [t for t in action.add if t.lower() not in by_name]
        if missing:
            log.warning("forum %s has no tag named %s", forum.name, ", ".join(missing))
        remove = {t.lower() for t in action.remove}
        tags = [t for t in thread.applied_tags if t.name.lower() not in remove]
        for name in action.add:
            tag = by_name.get(name.lower())
            if tag is not None and tag not in tags:
                tags.append(tag)
        tags = tags[:APPLIED_TAGS_MAX]
        if [t.id for t in tags] == [t.id for t in thread.applied_tags]:
            return ActionResult(channel=str(thread.id), detail="tags unchanged")
        self.on_tags_applied(str(thread.id), tuple(sorted(str(t.id) for t in tags)))
        await mapped(thread.edit(applied_tags=tags))
        return ActionResult(channel=str(thread.id), detail=",".join(t.name for t in tags))


def _common(action: Action) -> dict[str, Any]:
    return {
        "community": action.community,
        "text": action.text,
        "buttons": action.buttons,
        "card": action.card,
        "tag": action.tag,
    }


async def quietly(call: Awaitable[Any]) -> None:
    """Await a best-effort call (cleanup), ignoring Discord and network failures."""
    try:
        await call
    except (TimeoutError, discord.HTTPException, aiohttp.ClientError):
        log.debug("best-effort Discord call failed", exc_info=True)
