"""The Discord adapter wired to a real Engine and the fake Discord, for adapter tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.client import CircleClient
from adapters.discord.commands import CommandSpec
from adapters.discord.settings import ShardPlan, join_modes_from_config
from bot.circle_config import CircleConfig
from bot.clock import SystemClock
from bot.engine import Engine
from bot.rule import RuleRegistry
from bot.storage.db import Database
from tests.fakes.discord_server import FakeDiscordServer, NoIdentifyPause, patch_discord_urls


class TestCircleClient(NoIdentifyPause, CircleClient):
    """CircleClient without the 5 s IDENTIFY pause, counting the gateway frames it has seen."""

    __test__ = False

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("guild_ready_timeout", 0.05)
        super().__init__(**kwargs)
        self.frames_seen = 0
        self.frame_read = asyncio.Condition()

    async def on_socket_raw_receive(self, message: str) -> None:
        await super().on_socket_raw_receive(message)
        self.frames_seen += 1
        async with self.frame_read:
            self.frame_read.notify_all()


def command_specs(registry: RuleRegistry) -> list[CommandSpec]:
    """Discord command specs of a registry's commands."""
    return [
        CommandSpec(c.name, c.usage, c.summary, c.moderator_only)
        for _, c in registry.commands().values()
    ]


@dataclass
class DiscordBot:
    """A running adapter + engine against a fake Discord."""

    server: FakeDiscordServer
    adapter: DiscordAdapter
    engine: Engine
    task: asyncio.Task[None]
    first_connection: int = 0
    """Connections before this one belong to an earlier client (a restart test)."""

    @property
    def client(self) -> TestCircleClient:
        client = self.adapter.client
        assert isinstance(client, TestCircleClient)
        return client

    async def settle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the client has read every frame the fake sent and the core handled them."""
        client, gateway = self.client, self.server.gateway
        async with asyncio.timeout(timeout):
            async with client.frame_read:
                await client.frame_read.wait_for(
                    lambda: (
                        client.frames_seen
                        >= sum(len(c.sent) for c in gateway.connections[self.first_connection :])
                    )
                )
            await self.adapter.idle()


async def make_engine(database_url: str, registry: RuleRegistry, config_yaml: str = "") -> Engine:
    """A migrated database and an engine with `registry`'s rules."""
    config = CircleConfig.from_text(config_yaml, registry, source="test")
    database = Database(database_url)
    await database.upgrade()
    return Engine(database=database, config=config, clock=SystemClock())


@contextlib.asynccontextmanager
async def running_bot(
    tmp_path: Path,
    registry: RuleRegistry,
    *,
    config_yaml: str = "",
    server: FakeDiscordServer | None = None,
    commands: Sequence[CommandSpec] | None = None,
    shards: ShardPlan | None = None,
    member_joined: str | None = None,
    database_url: str | None = None,
) -> AsyncIterator[DiscordBot]:
    """Start the adapter's real `start()` (login, command sync, IDENTIFY, READY, GUILD_CREATE)."""
    own_server = server is None
    fake = server or FakeDiscordServer()
    if own_server:
        await fake.start()
    engine = await make_engine(
        database_url or f"sqlite:///{tmp_path / 'discord.db'}", registry, config_yaml
    )
    adapter = DiscordAdapter(
        token=fake.token,
        commands=command_specs(registry) if commands is None else commands,
        shards=shards,
        member_joined=join_modes_from_config(engine.config)
        if member_joined is None
        else ("join" if member_joined == "join" else "onboarded"),
        client_class=TestCircleClient,
    )
    engine.attach(adapter)
    try:
        with patch_discord_urls(fake):
            first_connection = len(fake.gateway.connections)
            task = asyncio.create_task(adapter.start(engine.handle), name="discord-adapter")
            try:
                waiter = asyncio.create_task(adapter.wait_ready())
                await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
                if task.done():
                    waiter.cancel()
                    task.result()
                await waiter
                bot = DiscordBot(fake, adapter, engine, task, first_connection)
                await bot.settle()
                yield bot
            finally:
                await adapter.stop()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, 5)
    finally:
        await engine.database.dispose()
        if own_server:
            await fake.stop()
