"""A running Slack stack for tests: fake Web API, real Engine, SlackAdapter behind bolt's server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from adapters.slack.adapter import SlackAdapter
from adapters.slack.handoff import Handoff
from bot.circle_config import CircleConfig
from bot.clock import SimulatedClock
from bot.engine import Engine
from bot.events import Event
from bot.rule import RuleRegistry
from bot.storage.db import Database
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.slack_requests import (
    SlackHTTPResponse,
    event_request,
    interactivity_request,
    post,
    serve,
    slash_command_request,
)

SECRET = "circle-signing-secret"
BOT_TOKEN = "xoxb-circle-bot-token"
USER_TOKEN = "xoxp-circle-admin-token"
APP_TOKEN = "xapp-1-A0CIRCLE1-circle-app-token"
TEAM = "T0CIRCLE1"
COMMUNITY = f"slack:{TEAM}"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday morning
Sink = Callable[[Event], Awaitable[object]]


@dataclass
class SlackStack:
    """Everything a Slack test touches; `events` are what reached the core."""

    api: FakeSlackAPI
    adapter: SlackAdapter
    engine: Engine
    clock: SimulatedClock
    url: str = ""
    events: list[Event] = field(default_factory=list)
    gate: Callable[[Event], Awaitable[None]] | None = None

    async def sink(self, event: Event) -> object:
        if self.gate is not None:
            await self.gate(event)
        self.events.append(event)
        return await self.engine.handle(event)

    async def settle(self) -> None:
        """Wait until every acknowledged request has gone through the core."""
        await asyncio.wait_for(self.adapter.handoff.join(), 10)

    async def event(self, body: dict[str, Any], **kwargs: Any) -> SlackHTTPResponse:
        resp = await post(self.url, event_request(body, signing_secret=SECRET, **kwargs))
        await self.settle()
        return resp

    async def command(self, fields: dict[str, str]) -> SlackHTTPResponse:
        resp = await post(self.url, slash_command_request(fields, signing_secret=SECRET))
        await self.settle()
        return resp

    async def interact(self, payload: dict[str, Any]) -> SlackHTTPResponse:
        resp = await post(self.url, interactivity_request(payload, signing_secret=SECRET))
        await self.settle()
        return resp

    async def advance(self, delta: timedelta) -> None:
        """Move simulated time; run due deadlines and send what is due."""
        self.clock.advance(delta)
        await self.engine.sweep()
        await self.engine.outbox.drain()


async def make_engine(
    database_url: str, config_yaml: str, registry: RuleRegistry, clock: SimulatedClock
) -> Engine:
    config = CircleConfig.from_text(config_yaml, registry, source="test")
    database = Database(database_url)
    await database.upgrade()
    return Engine(database=database, config=config, clock=clock)


@asynccontextmanager
async def slack_stack(
    database_url: str,
    *,
    registry: RuleRegistry,
    config_yaml: str = "",
    socket_mode: bool = False,
    user_token: str | None = None,
    handoff: Handoff | None = None,
) -> AsyncIterator[SlackStack]:
    """Start the fake API, engine and adapter (HTTP server, or Socket Mode websocket)."""
    clock = SimulatedClock(START)
    async with FakeSlackAPI() as api:
        api.workspace.add_channel("C0GENERAL1", name="general", members=["U0ALICE001"])
        api.workspace.add_channel("C0MODS0001", name="mods", members=["U0MOD00001"])
        api.workspace.add_user("U0ALICE001", name="alice")
        api.workspace.add_user("U0MOD00001", name="maya", is_admin=True)
        engine = await make_engine(database_url, config_yaml, registry, clock)
        http_app = web.Application()
        adapter = SlackAdapter(
            bot_token=BOT_TOKEN,
            signing_secret=SECRET,
            app_token=APP_TOKEN if socket_mode else None,
            user_token=user_token,
            api_url=api.base_url,
            http_app=http_app,
            engine=engine,
            clock=clock,
            handoff=handoff or Handoff(retry_delays=(0.01,)),
        )
        engine.attach(adapter)
        stack = SlackStack(api=api, adapter=adapter, engine=engine, clock=clock)
        task = asyncio.create_task(adapter.start(stack.sink))
        try:
            if socket_mode:
                await api.socket.wait_connected()
                yield stack
            else:
                async with serve(http_app) as url:
                    stack.url = url
                    yield stack
        finally:
            await adapter.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 5)
            await engine.database.dispose()
