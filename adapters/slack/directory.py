"""Cached workspace lookups: bot identity, users (name, admin), channels, DMs, admins."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import calling
from adapters.slack.translate import Workspace, display_name, looks_like_id
from bot.adapter import AdapterError, PermanentError

log = logging.getLogger(__name__)
V = TypeVar("V")


@dataclass(frozen=True)
class UserInfo:
    """What the core needs to know about a member."""

    user: str
    name: str | None
    is_admin: bool
    is_bot: bool = False


class _TTLCache(Generic[V]):
    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self.ttl = ttl
        self.clock = clock
        self._items: dict[str, tuple[float, V]] = {}

    def get(self, key: str) -> V | None:
        item = self._items.get(key)
        if item is None or self.clock() - item[0] > self.ttl:
            return None
        return item[1]

    def put(self, key: str, value: V) -> V:
        if len(self._items) > 50_000:
            self._items.clear()
        self._items[key] = (self.clock(), value)
        return value


class Directory:
    """Answers from Slack, cached for `ttl` seconds (admin flags, names and ids change rarely)."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.clock = clock
        self._workspace: Workspace | None = None
        self._team: tuple[str, str] | None = None
        self._users: _TTLCache[UserInfo] = _TTLCache(ttl, clock)
        self._names: _TTLCache[str] = _TTLCache(ttl, clock)
        self._dms: _TTLCache[str] = _TTLCache(24 * 3600, clock)
        self._by_name: dict[str, str] = {}
        self._listed_at: float | None = None
        self._admins: _TTLCache[tuple[str, ...]] = _TTLCache(ttl, clock)
        self._lock = asyncio.Lock()

    async def workspace(self) -> Workspace:
        """The bot's ids and workspace URL (auth.test, once); empty when Slack is unreachable."""
        if self._workspace is not None:
            return self._workspace
        try:
            answer = await calling("auth.test", self.client.auth_test())
        except AdapterError as exc:
            log.warning("cannot learn the bot's identity yet: %s", exc)
            return Workspace()
        self._workspace = Workspace(
            bot_user_id=_s(answer.get("user_id")),
            bot_id=_s(answer.get("bot_id")),
            url=_s(answer.get("url")),
        )
        team_id, team = _s(answer.get("team_id")), _s(answer.get("team"))
        if team_id:
            self._team = (team_id, team or team_id)
        return self._workspace

    @property
    def team(self) -> tuple[str, str] | None:
        """(team id, team name) once auth.test answered."""
        return self._team

    async def user(self, user_id: str) -> UserInfo | None:
        """users.info (cached); None when Slack cannot tell."""
        cached = self._users.get(user_id)
        if cached is not None:
            return cached
        try:
            answer = await calling("users.info", self.client.users_info(user=user_id))
        except AdapterError as exc:
            log.warning("users.info %s failed: %s", user_id, exc)
            return None
        data = answer.get("user") or {}
        info = UserInfo(
            user=user_id,
            name=display_name(data),
            is_admin=bool(data.get("is_admin") or data.get("is_owner")),
            is_bot=bool(data.get("is_bot")),
        )
        return self._users.put(user_id, info)

    async def channel_name(self, channel_id: str) -> str | None:
        """conversations.info name (cached); None for DMs or when Slack cannot tell."""
        if channel_id.startswith("D"):
            return None
        cached = self._names.get(channel_id)
        if cached is not None:
            return cached
        try:
            answer = await calling(
                "conversations.info", self.client.conversations_info(channel=channel_id)
            )
        except AdapterError as exc:
            log.warning("conversations.info %s failed: %s", channel_id, exc)
            return None
        name = _s((answer.get("channel") or {}).get("name"))
        return self._names.put(channel_id, name) if name else None

    async def channel_id(self, reference: str) -> str:
        """A channel id for an id or a configured name (`mods`, `#mods`) via conversations.list."""
        name = reference.strip().lstrip("#")
        if name in self._by_name:
            return self._by_name[name]
        if looks_like_id(name):
            return name
        async with self._lock:
            fresh = self._listed_at is not None and self.clock() - self._listed_at < 60
            if name not in self._by_name and not fresh:
                await self._list_channels()
        if name in self._by_name:
            return self._by_name[name]
        raise PermanentError(
            f"no channel named #{name} that the bot can see: create it or invite the bot",
            code="channel_not_found",
        )

    async def _list_channels(self) -> None:
        cursor: str | None = None
        found: dict[str, str] = {}
        while True:
            kwargs: dict[str, Any] = {
                "types": "public_channel,private_channel",
                "exclude_archived": True,
                "limit": 1000,
            }
            if cursor:
                kwargs["cursor"] = cursor
            answer = await calling("conversations.list", self.client.conversations_list(**kwargs))
            for channel in answer.get("channels") or []:
                if channel.get("name") and channel.get("id"):
                    found[channel["name"]] = channel["id"]
                    self._names.put(channel["id"], channel["name"])
            cursor = _s((answer.get("response_metadata") or {}).get("next_cursor"))
            if not cursor:
                break
        self._by_name = found
        self._listed_at = self.clock()

    async def dm_channel(self, user_id: str) -> str:
        """The DM channel with a member (conversations.open, cached)."""
        cached = self._dms.get(user_id)
        if cached is not None:
            return cached
        answer = await calling("conversations.open", self.client.conversations_open(users=user_id))
        channel = _s((answer.get("channel") or {}).get("id"))
        if not channel:
            raise PermanentError(f"Slack opened no DM with {user_id}", code="cannot_dm")
        return self._dms.put(user_id, channel)

    async def admins(self) -> tuple[str, ...]:
        """Ids of the workspace's admins and owners (users.list, cached), humans only."""
        cached = self._admins.get("all")
        if cached is not None:
            return cached
        found: list[str] = []
        cursor: str | None = None
        while True:
            kwargs: dict[str, Any] = {"limit": 200}
            if cursor:
                kwargs["cursor"] = cursor
            answer = await calling("users.list", self.client.users_list(**kwargs))
            for member in answer.get("members") or []:
                if member.get("deleted") or member.get("is_bot") or not member.get("id"):
                    continue
                if member.get("is_owner") or member.get("is_admin"):
                    found.append(member["id"])
            cursor = _s((answer.get("response_metadata") or {}).get("next_cursor"))
            if not cursor:
                break
        return self._admins.put("all", tuple(found))


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
