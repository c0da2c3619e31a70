"""The adapter as `circlebot run` wires it: from_settings, the shared HTTP app, engine discovery."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from aiohttp import ClientSession, web

from adapters.slack.adapter import EVENTS_PATH, SlackAdapter
from bot.circle_config import CircleConfig
from bot.rule import RuleRegistry
from bot.runtime import PlatformRuntime
from bot.settings import ProcessSettings
from bot.storage.db import Database
from tests.adapters.slack.stack import APP_TOKEN, BOT_TOKEN, SECRET
from tests.core.sample_rules import EchoRule
from tests.fakes import slack_payloads as p
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.slack_requests import event_request, post, serve

pytestmark = pytest.mark.usefixtures("slack_error_guard")


def settings_for(api: FakeSlackAPI, sqlite_url: str, **extra: str) -> ProcessSettings:
    values = {
        "database_url": sqlite_url,
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SECRET,
        "slack_api_url": api.base_url,
        **extra,
    }
    return ProcessSettings(**values)  # type: ignore[arg-type]


async def test_runtime_serves_slack_events_next_to_health_checks(sqlite_url: str) -> None:
    async with FakeSlackAPI() as api:
        database = Database(sqlite_url)
        await database.upgrade()
        config = CircleConfig.from_text("", RuleRegistry([EchoRule]), source="test")
        runtime = PlatformRuntime(settings_for(api, sqlite_url), config, database)
        [adapter] = runtime.adapters
        assert isinstance(adapter, SlackAdapter) and not adapter.socket_mode
        assert not adapter.ready
        task = asyncio.create_task(adapter.start(runtime.engine.handle))
        try:
            async with serve(runtime.http_app) as url:
                resp = await post(url, event_request(p.message(text="ping"), signing_secret=SECRET))
                reply = await api.wait_for("chat.postMessage")
                async with ClientSession() as client:
                    health = await client.get(url.replace(EVENTS_PATH, "/healthz"))
                await api.wait_for("auth.test")
                await adapter.handoff.join()
                assert adapter.ready
                await post(url, event_request(p.app_home_opened(), signing_secret=SECRET))
                await api.wait_for("views.publish")
        finally:
            await adapter.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await database.dispose()
    assert (resp.status, health.status) == (200, 200)
    assert reply.args["text"] == "pong"
    assert adapter.engine is runtime.engine  # found through the sink, for the App Home
    assert await runtime.engine.communities() == ["slack:T0CIRCLE1"]


async def test_socket_mode_settings_mount_no_route(sqlite_url: str) -> None:
    async with FakeSlackAPI() as api:
        http_app = web.Application()
        settings = settings_for(api, sqlite_url, slack_app_token=APP_TOKEN)
        adapter = SlackAdapter.from_settings(settings, http_app=http_app)
    assert adapter.socket_mode
    assert [r.resource.canonical for r in http_app.router.routes() if r.resource] == []


async def test_http_mode_without_signing_secret_is_refused(sqlite_url: str) -> None:
    settings = ProcessSettings(database_url=sqlite_url, slack_bot_token=BOT_TOKEN)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="CIRCLEBOT_SLACK_SIGNING_SECRET"):
        SlackAdapter.from_settings(settings, http_app=web.Application())
