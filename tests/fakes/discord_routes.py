"""Stateful route handlers of the fake Discord REST API (commands, messages, interactions)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes import discord_payloads as p
from tests.fakes.discord_payloads import Payload, snowflake
from tests.fakes.discord_world import DiscordWorld


@dataclass(frozen=True)
class RecordedRequest:
    """One REST request as the fake received it."""

    method: str
    path: str  # after /api/v10, e.g. /channels/123/messages
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # parsed JSON, or None

    @property
    def authorization(self) -> str | None:
        """The Authorization header ("Bot TOKEN" for bot calls)."""
        return self.headers.get("Authorization")


@dataclass
class InteractionResponse:
    """An interaction callback the client sent (type 4 message, 5 defer, 7 update, ...)."""

    interaction_id: int
    token: str
    body: Payload
    message: Payload | None = field(default=None)


# Interaction callback types and message flags.
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE = 4, 5, 6, 7
EPHEMERAL, LOADING = 1 << 6, 1 << 7

Handler = Callable[[re.Match[str], RecordedRequest], Awaitable[tuple[int, Any]]]


class RouteHandlers:
    """Handlers for every REST route the fake implements; FakeRest adds recording/failures."""

    world: DiscordWorld
    gateway_url: str
    gateway_shards: int

    def _init_route_state(self) -> None:
        self.global_commands: list[Payload] = []
        self.guild_commands: dict[int, list[Payload]] = {}
        self.interaction_responses: list[InteractionResponse] = []
        self.interactions: dict[str, Payload] = {}  # token -> INTERACTION_CREATE payload
        self.reactions: set[tuple[int, int, str, int]] = set()  # channel, message, emoji, user
        self._routes = self._route_table()

    def command_id(self, name: str) -> int:
        """The id the fake gave to a synced command (global first, then guild commands)."""
        every = self.global_commands + [c for cs in self.guild_commands.values() for c in cs]
        for command in every:
            if command["name"] == name:
                return int(command["id"])
        raise LookupError(f"command {name!r} was not synced")

    async def route(self, method: str, recorded: RecordedRequest) -> tuple[int, Any]:
        """Answer a request from the route table (404 when no route matches)."""
        for route_method, pattern, handler in self._routes:
            match = pattern.fullmatch(recorded.path)
            if match and route_method == method:
                return await handler(match, recorded)
        return 404, {"message": "404: Not Found", "code": 0}

    # ----- routes --------------------------------------------------------------------------

    def _route_table(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        sf = r"(\d+)"
        app = r"/applications/" + sf
        routes: list[tuple[str, str, Handler]] = [
            ("GET", r"/gateway/bot", self._gateway_bot),
            ("GET", r"/gateway", self._gateway),
            ("GET", r"/users/@me", self._me),
            ("GET", r"/oauth2/applications/@me", self._app_info),
            ("GET", r"/applications/@me", self._app_info),
            ("PUT", app + r"/commands", self._put_commands),
            ("GET", app + r"/commands", self._get_commands),
            ("PUT", app + r"/guilds/" + sf + r"/commands", self._put_commands),
            ("GET", app + r"/guilds/" + sf + r"/commands", self._get_commands),
            ("POST", r"/channels/" + sf + r"/messages", self._post_message),
            ("GET", r"/channels/" + sf + r"/messages/" + sf, self._get_message),
            ("PATCH", r"/channels/" + sf + r"/messages/" + sf, self._patch_message),
            ("DELETE", r"/channels/" + sf + r"/messages/" + sf, self._delete_message),
            (
                "PUT",
                r"/channels/" + sf + r"/messages/" + sf + r"/reactions/([^/]+)/@me",
                self._put_reaction,
            ),
            (
                "DELETE",
                r"/channels/" + sf + r"/messages/" + sf + r"/reactions/([^/]+)/(@me|\d+)",
                self._delete_reaction,
            ),
            ("GET", r"/channels/" + sf, self._get_channel),
            ("PATCH", r"/channels/" + sf, self._patch_channel),
            ("POST", r"/users/@me/channels", self._create_dm),
            ("GET", r"/guilds/" + sf + r"/members/" + sf, self._get_member),
            ("POST", r"/interactions/" + sf + r"/([^/]+)/callback", self._interaction_callback),
            ("POST", r"/webhooks/" + sf + r"/([^/]+)", self._post_followup),
            (
                "GET",
                r"/webhooks/" + sf + r"/([^/]+)/messages/(@original|\d+)",
                self._get_webhook_msg,
            ),
            (
                "PATCH",
                r"/webhooks/" + sf + r"/([^/]+)/messages/(@original|\d+)",
                self._patch_webhook_msg,
            ),
            (
                "DELETE",
                r"/webhooks/" + sf + r"/([^/]+)/messages/(@original|\d+)",
                self._delete_webhook_msg,
            ),
        ]
        return [(m, re.compile(rx), h) for m, rx, h in routes]

    async def _gateway_bot(self, _: re.Match[str], __: RecordedRequest) -> tuple[int, Any]:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1}
        return 200, {
            "url": self.gateway_url,
            "shards": self.gateway_shards,
            "session_start_limit": limit,
        }

    async def _gateway(self, _: re.Match[str], __: RecordedRequest) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    async def _me(self, _: re.Match[str], __: RecordedRequest) -> tuple[int, Any]:
        return 200, {**self.world.bot, "verified": True, "mfa_enabled": False}

    async def _app_info(self, _: re.Match[str], __: RecordedRequest) -> tuple[int, Any]:
        return 200, self.world.application_info()

    def _command_list(self, match: re.Match[str]) -> tuple[list[Payload], int | None]:
        if match.lastindex == 2:
            guild_id = int(match.group(2))
            return self.guild_commands.setdefault(guild_id, []), guild_id
        return self.global_commands, None

    async def _put_commands(self, match: re.Match[str], req: RecordedRequest) -> tuple[int, Any]:
        commands, guild_id = self._command_list(match)
        known = {c["name"]: int(c["id"]) for c in commands}
        stored = [
            p.application_command(
                c,
                app_id=self.world.app_id,
                command_id=known.get(c["name"]) or snowflake(),
                guild_id=guild_id,
            )
            for c in req.body or []
        ]
        commands[:] = stored
        return 200, stored

    async def _get_commands(self, match: re.Match[str], _: RecordedRequest) -> tuple[int, Any]:
        return 200, self._command_list(match)[0]

    async def _post_message(self, match: re.Match[str], req: RecordedRequest) -> tuple[int, Any]:
        channel_id = int(match.group(1))
        if channel_id not in self.world.channels:
            return 404, {"message": "Unknown Channel", "code": 10003}
        return 200, self._store_bot_message(channel_id, req.body or {})

    def _store_bot_message(self, channel_id: int, body: Payload) -> Payload:
        reference = body.get("message_reference") or {}
        message = self.world.new_message(
            channel_id=channel_id,
            author_id=self.world.bot_id,
            content=body.get("content") or "",
            reply_to=int(reference["message_id"]) if reference.get("message_id") else None,
            components=body.get("components"),
        )
        message["embeds"] = body.get("embeds") or []
        message["flags"] = body.get("flags", 0)
        return message

    async def _get_message(self, match: re.Match[str], _: RecordedRequest) -> tuple[int, Any]:
        message = self.world.messages.get(int(match.group(2)))
        if message is None or message["channel_id"] != match.group(1):
            return 404, {"message": "Unknown Message", "code": 10008}
        return 200, message

    async def _patch_message(self, match: re.Match[str], req: RecordedRequest) -> tuple[int, Any]:
        status, message = await self._get_message(match, req)
        if status != 200:
            return status, message
        for key in ("content", "embeds", "components", "flags"):
            if req.body and key in req.body:
                message[key] = req.body[key]
        message["edited_timestamp"] = p.iso_now()
        return 200, message

    async def _delete_message(self, match: re.Match[str], req: RecordedRequest) -> tuple[int, Any]:
        status, message = await self._get_message(match, req)
        if status == 200:
            del self.world.messages[int(match.group(2))]
            return 204, None
        return status, message

    async def _put_reaction(self, match: re.Match[str], _: RecordedRequest) -> tuple[int, Any]:
        channel_id, message_id, emoji = int(match.group(1)), int(match.group(2)), match.group(3)
        self.reactions.add((channel_id, message_id, emoji, self.world.bot_id))
        return 204, None

    async def _delete_reaction(self, match: re.Match[str], _: RecordedRequest) -> tuple[int, Any]:
        who = self.world.bot_id if match.group(4) == "@me" else int(match.group(4))
        self.reactions.discard((int(match.group(1)), int(match.group(2)), match.group(3), who))
        return 204, None

    async def _get_channel(self, match: re.Match[str], _: RecordedRequest) -> tuple[int, Any]:
        channel = self.world.channels.get(int(match.group(1)))
        if channel is None:
            return 404, {"message": "Unknown Channel", "code": 10003}
        return 200, channel

    async def _patch_channel(self, match: re.Match[str], req: RecordedRequest) -> tuple[int, Any]:
        channel = self.world.channels.get(int(match.group(1)))
        if channel is None:
            return 404, {"message": "Unknown Channel", "code": 10003}
        body = req.body or {}
        for key in ("name", "topic", "applied_tags", "rate_limit_per_user", "flags"):
            if key in body:
                channel[key] = body[key]
        for key in ("archived", "locked", "auto_archive_duration"):
            if key in body and "thread_metadata" in channel:
                channel["thread_metadata"][key] = body[key]
        return 200, channel

    async def _create_dm(self, _: re.Match[str], req: RecordedRequest) -> tuple[int, Any]:
        recipient_id = int((req.body or {})["recipient_id"])
        for channel in self.world.channels.values():
            recipients = channel.get("recipients") or [{}]
            if channel["type"] == p.DM and recipients[0].get("id") == str(recipient_id):
                return 200, channel
        channel = p.dm_channel(channel_id=snowflake(), recipient=self.world.user(recipient_id))
        self.world.channels[int(channel["id"])] = channel
        return 200, channel

    async def _get_member(self, match: re.Match[str], _: RecordedRequest) -> tuple[int, Any]:
        member = self.world.members.get(int(match.group(2)))
        if member is None or int(match.group(1)) != self.world.guild_id:
            return 404, {"message": "Unknown Member", "code": 10007}
        return 200, member

    async def _interaction_callback(
        self, match: re.Match[str], req: RecordedRequest
    ) -> tuple[int, Any]:
        body = req.body or {}
        kind = body.get("type")
        token = match.group(2)
        record = InteractionResponse(int(match.group(1)), token, body)
        self.interaction_responses.append(record)
        data = body.get("data") or {}
        source = self.interactions.get(token) or {}
        interaction: Payload = {
            "id": match.group(1),
            "type": source.get("type", 2),
            "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
            "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL),
        }
        if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
            record.message = self._store_bot_message(self._interaction_channel(token), data)
            if kind == DEFERRED_CHANNEL_MESSAGE:
                record.message["flags"] |= LOADING
            record.message["interaction_token"] = token
        elif kind in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE) and "message" in source:
            record.message = self.world.messages.setdefault(
                int(source["message"]["id"]), source["message"]
            )
            if kind == UPDATE_MESSAGE:
                self._apply_edit(record.message, data)
        if record.message is not None:
            interaction["response_message_id"] = record.message["id"]
        if "with_response" not in req.query:
            return 204, None
        answer: Payload = {"interaction": interaction}
        if record.message is not None and kind in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
            answer["resource"] = {"type": kind, "message": record.message}
        return 200, answer

    @staticmethod
    def _apply_edit(message: Payload, body: Payload) -> None:
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key]
        message["flags"] = message.get("flags", 0) & ~LOADING
        message["edited_timestamp"] = p.iso_now()

    def _interaction_channel(self, token: str) -> int:
        interaction = self.interactions.get(token) or {}
        return int(interaction.get("channel_id") or self.world.general_id)

    def _original(self, token: str) -> Payload | None:
        for record in reversed(self.interaction_responses):
            if record.token == token and record.message is not None:
                return record.message
        return None

    async def _post_followup(self, match: re.Match[str], req: RecordedRequest) -> tuple[int, Any]:
        channel_id = self._interaction_channel(match.group(2))
        message = self._store_bot_message(channel_id, req.body or {})
        message["webhook_id"] = match.group(1)
        if req.query.get("wait") not in ("1", "true", "True"):
            return 204, None
        return 200, message

    def _webhook_message(self, match: re.Match[str]) -> Payload | None:
        if match.group(3) == "@original":
            return self._original(match.group(2))
        return self.world.messages.get(int(match.group(3)))

    async def _get_webhook_msg(self, match: re.Match[str], _: RecordedRequest) -> tuple[int, Any]:
        message = self._webhook_message(match)
        return (200, message) if message else (404, {"message": "Unknown Message", "code": 10008})

    async def _patch_webhook_msg(
        self, match: re.Match[str], req: RecordedRequest
    ) -> tuple[int, Any]:
        message = self._webhook_message(match)
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        self._apply_edit(message, req.body or {})
        return 200, message

    async def _delete_webhook_msg(
        self, match: re.Match[str], _: RecordedRequest
    ) -> tuple[int, Any]:
        message = self._webhook_message(match)
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        self.world.messages.pop(int(message["id"]), None)
        return 204, None
