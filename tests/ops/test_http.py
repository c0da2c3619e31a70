"""Operations endpoints: /healthz, /readyz (database and platforms), Prometheus /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.adapter import PermanentError
from bot.circle_config import CircleConfig
from bot.http import OpsEndpoints, platform_readiness
from bot.rule import RuleRegistry
from bot.runtime import PlatformRuntime
from bot.settings import ProcessSettings
from bot.storage.db import Database
from tests.core.sample_rules import EchoRule
from tests.harness import Harness, RecordingAdapter


class ConnectingAdapter(RecordingAdapter):
    """A recording adapter that reports whether its platform connection is up."""

    def __init__(self) -> None:
        super().__init__()
        self.ready = False


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
async def echo(sqlite_url: str) -> AsyncIterator[Harness]:
    h = await Harness.create(sqlite_url, registry=RuleRegistry([EchoRule]))
    yield h
    await h.close()


async def client_for(app: web.Application) -> TestClient[web.Request, web.Application]:
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_readiness_follows_start_up_and_platform_connections(echo: Harness) -> None:
    adapter = ConnectingAdapter()
    started = False
    app = web.Application()
    OpsEndpoints(echo.engine, adapters=[adapter], started=lambda: started).install(app)
    client = await client_for(app)
    try:
        assert (await client.get("/healthz")).status == 200
        response = await client.get("/readyz")
        assert response.status == 503 and (await response.json())["status"] == "starting"
        started = True
        response = await client.get("/readyz")
        body = await response.json()
        assert response.status == 503
        assert body["status"] == "waiting for test" and body["platforms"] == {"test": False}
        adapter.ready = True
        response = await client.get("/readyz")
        assert response.status == 200 and (await response.json())["status"] == "ready"
    finally:
        await client.close()


async def test_readiness_fails_while_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = ProcessSettings(database_url=f"sqlite:///{tmp_path}/missing/circle.db")
    config = CircleConfig.from_text("", RuleRegistry([EchoRule]))
    runtime = PlatformRuntime(settings, config, Database(settings.database_url), adapters=[])
    runtime.ready = True
    client = await client_for(runtime.http_app)
    try:
        assert (await client.get("/healthz")).status == 200  # the process is up
        response = await client.get("/readyz")
        body = await response.json()
        assert response.status == 503 and body["status"] == "database unavailable"
        assert "does not exist" in body["error"]
    finally:
        await client.close()
        await runtime.engine.database.dispose()


def test_adapters_without_a_readiness_report_count_as_ready() -> None:
    quiet, connecting = RecordingAdapter(), ConnectingAdapter()
    connecting.platform = "discord"
    assert platform_readiness([quiet, connecting]) == {"test": True, "discord": False}


async def test_metrics_count_events_actions_failures_and_latency(echo: Harness) -> None:
    first = await echo.message("alice", "ping")
    await echo.engine.handle(first)  # delivered twice
    echo.adapter.fail_next(PermanentError("no access", code="not_in_channel"))
    await echo.message("bob", "ping")
    app = web.Application()
    OpsEndpoints(echo.engine, adapters=[echo.adapter], started=lambda: True).install(app)
    client = await client_for(app)
    try:
        response = await client.get("/metrics")
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        found = samples(await response.text())
    finally:
        await client.close()
    assert found[("circlebot_events_total", (("outcome", "handled"),))] == 2
    assert found[("circlebot_events_total", (("outcome", "duplicate"),))] == 1
    assert found[("circlebot_actions_sent_total", (("kind", "reply"),))] == 1
    failed = ("circlebot_actions_failed_total", (("kind", "reply"), ("reason", "permanent")))
    assert found[failed] == 1
    assert found[("circlebot_event_handling_seconds_count", ())] == 3
    assert found[("circlebot_rule_seconds_count", (("rule", "echo"),))] == 2
    assert found[("circlebot_action_send_seconds_count", (("kind", "reply"),))] == 1
    assert found[("circlebot_outbox_depth", ())] == 0
    assert not any(name == "circlebot_open_questions" for name, _ in found)  # no questions rule


async def test_each_engine_has_its_own_registry(echo: Harness, tmp_path: Path) -> None:
    other = await Harness.create(
        f"sqlite:///{tmp_path}/other.db", registry=RuleRegistry([EchoRule])
    )
    try:
        await echo.message("alice", "ping")
        assert other.engine.metrics.registry is not echo.engine.metrics.registry
        found = samples(other.engine.metrics.render().decode())
        assert found.get(("circlebot_events_total", (("outcome", "handled"),)), 0) == 0
    finally:
        await other.close()


async def test_open_questions_gauge_reads_the_questions_contract(sqlite_url: str) -> None:
    pytest.importorskip("rules.questions.store")
    h = await Harness.create(sqlite_url)
    try:
        if "questions" not in h.engine.registry.names():
            pytest.skip("the questions rule is not installed")
        await h.message("alice", "How do I mount an external USB drive on Ubuntu 24.04?")
        await h.engine.metrics.refresh(h.engine)
        found = samples(h.engine.metrics.render().decode())
        assert found[("circlebot_open_questions", (("community", h.community),))] == 1
    finally:
        await h.close()
