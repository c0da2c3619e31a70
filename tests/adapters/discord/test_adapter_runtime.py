"""The runtime's way in (`from_settings`, URL overrides) and explicit shards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import discord
import pytest
import yarl

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.settings import ShardPlan
from bot.rule import RuleRegistry
from bot.settings import ProcessSettings
from tests.core.sample_rules import EchoRule
from tests.fakes.discord_bot import running_bot
from tests.fakes.discord_logging import ErrorCollector, fail_on_discord_errors
from tests.fakes.discord_server import FakeDiscordServer


@pytest.fixture(autouse=True)
def no_discord_errors() -> Iterator[ErrorCollector]:
    with fail_on_discord_errors() as collector:
        yield collector


def test_from_settings_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIRCLEBOT_DISCORD_TOKEN", "t0ken")
    monkeypatch.setenv("CIRCLEBOT_DISCORD_SHARDS", "0,1/4")
    monkeypatch.setenv("CIRCLEBOT_DISCORD_MEMBER_JOINED", "onboarded")
    adapter = DiscordAdapter.from_settings(ProcessSettings())
    assert adapter.token == "t0ken" and adapter.shards == ShardPlan([0, 1], 4)
    assert adapter.join_mode("discord:1") == "onboarded"
    assert {c.name for c in adapter.commands} >= {"unanswered", "claim"}  # shipped rules
    assert adapter.capabilities.forum_tags and adapter.capabilities.rich_cards
    assert "t0ken" not in repr(ProcessSettings())


async def test_url_overrides_reach_a_fake_discord(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeDiscordServer() as server:
        monkeypatch.setenv("CIRCLEBOT_DISCORD_TOKEN", server.token)
        monkeypatch.setenv("CIRCLEBOT_DISCORD_API_URL", server.api_base)
        monkeypatch.setenv("CIRCLEBOT_DISCORD_GATEWAY_URL", server.gateway_url)
        adapter = DiscordAdapter.from_settings(ProcessSettings())
        with (
            mock.patch.object(discord.http.Route, "BASE", "https://discord.invalid/api/v10"),
            mock.patch.object(
                discord.gateway.DiscordWebSocket,
                "DEFAULT_GATEWAY",
                yarl.URL("wss://discord.invalid/"),
            ),
        ):
            adapter._apply_url_overrides()
            assert discord.http.Route.BASE == server.api_base
            assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == server.gateway_url


async def test_explicit_shards_identify_only_their_own(tmp_path: Path) -> None:
    async with FakeDiscordServer() as server:
        async with running_bot(
            tmp_path, RuleRegistry([EchoRule]), server=server, shards=ShardPlan([0, 1], 2)
        ) as bot:
            assert sorted(map(tuple, server.gateway.shards_identified)) == [(0, 2), (1, 2)]  # type: ignore[arg-type]
            world = server.world
            await server.send_message(
                channel_id=world.general_id, author_id=world.member_id, content="ping"
            )
            await bot.settle()
            assert len(server.rest.find("POST", r"/channels/\d+/messages")) == 1
            assert bot.adapter.ready
        assert not bot.adapter.ready  # closed
