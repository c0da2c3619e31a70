"""Execution of core actions through the Slack Web API (and response_urls)."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.blocks import BlockError, Rendered, render
from adapters.slack.directory import Directory
from adapters.slack.errors import calling, from_status
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
from bot.adapter import PermanentError, TransientError

log = logging.getLogger(__name__)


class SlackExecutor:
    """Carries out one action; raises TransientError (retry) or PermanentError (give up)."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        directory: Directory,
        user_client: AsyncWebClient | None = None,
    ) -> None:
        self.client = client
        self.directory = directory
        self.user_client = user_client

    async def execute(self, action: Action) -> ActionResult:
        """Dispatch on the action type; unknown types are a TypeError (a core/adapter mismatch)."""
        try:
            rendered = render(action.text, card=action.card, buttons=action.buttons)
        except BlockError as exc:
            raise PermanentError(str(exc), code="bad_message") from exc
        if isinstance(action, Post):
            channel = await self.directory.channel_id(action.channel)
            return await self._post(channel, rendered, thread=action.thread)
        if isinstance(action, Reply):
            channel = await self.directory.channel_id(action.channel)
            return await self._post(channel, rendered, thread=action.thread or action.message_id)
        if isinstance(action, DirectMessage):
            return await self._post(await self.directory.dm_channel(action.user), rendered)
        if isinstance(action, Ephemeral):
            return await self._ephemeral(action.channel, action.user, rendered)
        if isinstance(action, Respond):
            return await self._respond(action, rendered)
        if isinstance(action, React):
            return await self._react(action)
        if isinstance(action, Hide):
            return await self._hide(action)
        if isinstance(action, NotifyModerators):
            return await self._notify_admins(rendered)
        if isinstance(action, SetTags):
            # Slack has no forum tags; capabilities say so, a rule asking anyway changes nothing.
            log.debug("SetTags ignored on Slack (no forum tags): %s", action.thread)
            return ActionResult(channel=action.channel, detail="slack has no forum tags")
        raise TypeError(f"the Slack adapter cannot execute {type(action).__name__}")

    async def _post(
        self, channel: str, rendered: Rendered, *, thread: str | None = None
    ) -> ActionResult:
        kwargs: dict[str, Any] = {"channel": channel, "text": rendered.text}
        if rendered.blocks:
            kwargs["blocks"] = rendered.blocks
        if thread:
            kwargs["thread_ts"] = thread
        answer = await calling("chat.postMessage", self.client.chat_postMessage(**kwargs))
        return ActionResult(message_id=answer.get("ts"), channel=answer.get("channel") or channel)

    async def _ephemeral(self, channel_ref: str, user: str, rendered: Rendered) -> ActionResult:
        if channel_ref.startswith(("U", "W")):  # App Home presses: no channel, answer in the DM
            return await self._post(await self.directory.dm_channel(user), rendered)
        channel = await self.directory.channel_id(channel_ref)
        kwargs: dict[str, Any] = {"channel": channel, "user": user, "text": rendered.text}
        if rendered.blocks:
            kwargs["blocks"] = rendered.blocks
        try:
            answer = await calling("chat.postEphemeral", self.client.chat_postEphemeral(**kwargs))
        except PermanentError as exc:
            if exc.code not in ("user_not_in_channel", "channel_not_found", "not_in_channel"):
                raise
            log.info("ephemeral to %s in %s impossible (%s): sending a DM", user, channel, exc.code)
            return await self._post(await self.directory.dm_channel(user), rendered)
        return ActionResult(message_id=answer.get("message_ts"), channel=channel)

    async def _respond(self, action: Respond, rendered: Rendered) -> ActionResult:
        if action.reply_handle:
            body: dict[str, Any] = {
                "text": rendered.text,
                "response_type": "in_channel" if action.public else "ephemeral",
                "replace_original": False,
            }
            if rendered.blocks:
                body["blocks"] = rendered.blocks
            if await self._send_response_url(action.reply_handle, body):
                return ActionResult(channel=action.channel, detail="response_url")
        if action.public:
            channel = await self.directory.channel_id(action.channel)
            return await self._post(channel, rendered)
        return await self._ephemeral(action.channel, action.user, rendered)

    async def _send_response_url(self, url: str, body: dict[str, Any]) -> bool:
        """POST to a response_url; False when it expired or was used up (fall back)."""
        webhook = AsyncWebhookClient(url, timeout=10)
        try:
            response = await webhook.send_dict(body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientError(f"response_url: cannot reach Slack ({exc!r})") from exc
        if 200 <= response.status_code < 300:
            return True
        error = from_status(
            response.status_code,
            str(response.body or "").strip(),
            headers=response.headers,
            what="response_url",
        )
        if isinstance(error, TransientError):
            raise error
        log.info("response_url refused (%s): falling back to the Web API", response.status_code)
        return False

    async def _react(self, action: React) -> ActionResult:
        channel = await self.directory.channel_id(action.channel)
        name = action.emoji.strip(":")
        try:
            await calling(
                "reactions.add",
                self.client.reactions_add(channel=channel, timestamp=action.message_id, name=name),
            )
        except PermanentError as exc:
            if exc.code != "already_reacted":
                raise
        return ActionResult(message_id=action.message_id, channel=channel)

    async def _hide(self, action: Hide) -> ActionResult:
        channel = await self.directory.channel_id(action.channel)
        client = self.user_client or self.client
        await calling("chat.delete", client.chat_delete(channel=channel, ts=action.message_id))
        return ActionResult(message_id=action.message_id, channel=channel, detail="deleted")

    async def _notify_admins(self, rendered: Rendered) -> ActionResult:
        """No moderators configured: DM the workspace's admins and owners."""
        admins = await self.directory.admins()
        if not admins:
            log.warning("no moderators configured and no workspace admin found: %s", rendered.text)
            raise PermanentError(
                "no moderators configured (community.moderators_channel or moderators.users) "
                "and no workspace admin to tell",
                code="no_moderators",
                tell_moderators=False,
            )
        for admin in admins:
            await self._post(await self.directory.dm_channel(admin), rendered)
        return ActionResult(detail=f"sent to {len(admins)} workspace admin(s)")
