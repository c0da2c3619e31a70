"""Fake Discord REST API v10: recorded requests, stateful routes, injectable 429/403 failures."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.discord_payloads import Payload
from tests.fakes.discord_routes import InteractionResponse, RecordedRequest, RouteHandlers
from tests.fakes.discord_world import DiscordWorld

__all__ = ["Failure", "FakeRest", "InteractionResponse", "RecordedRequest", "json_response"]

JSON = "application/json"


@dataclass
class Failure:
    """A programmed failure: answer `status`/`body` on matching requests `times` times."""

    method: str
    pattern: re.Pattern[str]
    status: int
    body: Payload
    headers: dict[str, str]
    times: int | None  # None: forever
    used: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Whether this failure applies to a request and has uses left."""
        left = self.times is None or self.used < self.times
        return left and method == self.method and bool(self.pattern.fullmatch(path))


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    """A response whose Content-Type is exactly application/json, as discord.py requires."""
    if status == 204:
        return web.Response(status=204, headers=headers)
    # aiohttp's `text=`/`content_type=` would append "; charset=utf-8", which discord.py
    # does not parse as JSON (it compares the header with "application/json" exactly).
    all_headers = {**(headers or {}), "Content-Type": JSON}
    return web.Response(status=status, body=json.dumps(body).encode(), headers=all_headers)


class FakeRest(RouteHandlers):
    """The REST half of the fake, mounted under /api/v10."""

    def __init__(self, world: DiscordWorld, *, gateway_shards: int = 1) -> None:
        self.world = world
        self.gateway_shards = gateway_shards
        self.gateway_url = ""
        self.requests: list[RecordedRequest] = []
        self.failures: list[Failure] = []
        self._changed = asyncio.Condition()
        self._init_route_state()

    # ----- test-facing API -----------------------------------------------------------------

    def fail(
        self,
        method: str,
        path_regex: str,
        *,
        status: int,
        body: Payload,
        headers: dict[str, str] | None = None,
        times: int | None = 1,
    ) -> Failure:
        """Answer matching requests with an error `times` times (None: always)."""
        failure = Failure(method, re.compile(path_regex), status, body, headers or {}, times)
        self.failures.append(failure)
        return failure

    def rate_limit(
        self, method: str, path_regex: str, *, times: int = 1, retry_after: float = 0.2
    ) -> Failure:
        """Answer 429 with Discord's body and headers `times` times, then succeed."""
        headers = {
            "Retry-After": str(max(1, round(retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(retry_after),
            "X-RateLimit-Bucket": "fakebucket",
            "X-RateLimit-Scope": "user",
            # discord.py treats a 429 without `Via` as a Cloudflare ban and raises at once.
            "Via": "1.1 google",
        }
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": False,
        }
        return self.fail(method, path_regex, status=429, body=body, headers=headers, times=times)

    def forbid(
        self, method: str, path_regex: str, *, code: int = 50013, times: int | None = None
    ) -> Failure:
        """Answer 403 with a Discord error code: 50007 (closed DMs) or 50013 (permissions)."""
        messages = {50007: "Cannot send messages to this user", 50013: "Missing Permissions"}
        body = {"code": code, "message": messages.get(code, "Forbidden")}
        return self.fail(method, path_regex, status=403, body=body, times=times)

    def find(self, method: str, path_regex: str) -> list[RecordedRequest]:
        """Every recorded request matching a method and a full-path regex."""
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    async def wait_for_request(
        self,
        method: str,
        path_regex: str,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> RecordedRequest:
        """Wait until `count` matching requests arrived; return the last of them."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.find(method, path_regex)) >= count),
                timeout,
            )
        return self.find(method, path_regex)[count - 1]

    # ----- aiohttp entry point -------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        """Record the request, apply failures, route it."""
        raw = await request.read()
        body = json.loads(raw) if raw and request.content_type == JSON else None
        path = "/" + request.match_info["tail"]
        recorded = RecordedRequest(
            request.method, path, dict(request.query), dict(request.headers), body
        )
        self.requests.append(recorded)
        async with self._changed:
            self._changed.notify_all()
        for failure in self.failures:
            if failure.matches(request.method, path):
                failure.used += 1
                return json_response(failure.status, failure.body, failure.headers)
        token_auth = path.startswith(("/webhooks/", "/interactions/"))
        if not token_auth and recorded.authorization != f"Bot {self.world.token}":
            return json_response(401, {"message": "401: Unauthorized", "code": 0})
        status, answer = await self.route(request.method, recorded)
        return json_response(status, answer)
