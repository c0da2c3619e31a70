"""Wiring: database, config, engine and adapters for `circlebot run` (console or platforms)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, TextIO

from aiohttp import web
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.adapter import Adapter
from bot.circle_config import CircleConfig
from bot.clock import SimulatedClock, SystemClock
from bot.collector import tune_collector
from bot.engine import Engine
from bot.http import OpsEndpoints
from bot.logs import register_secrets
from bot.metrics import Metrics
from bot.rule import default_registry
from bot.scheduling import RealTimeJobs
from bot.settings import ProcessSettings
from bot.simulation import Simulation
from bot.storage import repos
from bot.storage.db import Database

log = logging.getLogger(__name__)

CONSOLE_COMMUNITY = "console:circle"
SHUTDOWN_GRACE = 20.0  # seconds for the current sweep/drain round; Kubernetes waits 30 by default


def load_config(settings: ProcessSettings, path: str | None = None) -> CircleConfig:
    """The community config from `path`, `CIRCLEBOT_CONFIG_FILE`, or defaults."""
    return CircleConfig.load(path or settings.config_file, default_registry())


async def open_database(settings: ProcessSettings, *, migrate: bool) -> Database:
    """Connect, and migrate when asked (SQLite always migrates on `run`)."""
    database = Database(settings.database_url)
    try:
        if migrate or database.is_sqlite:
            await database.upgrade()
        else:
            await database.check()
    except BaseException:
        await database.dispose()
        raise
    return database


async def run_console(
    settings: ProcessSettings,
    config: CircleConfig,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Serve one simulated community in the terminal until end of input."""
    from adapters.console.adapter import ConsoleAdapter

    database = await open_database(settings, migrate=True)
    clock = SimulatedClock()
    engine = Engine(database=database, config=config, clock=clock, replica=settings.replica_id)
    simulation = Simulation(engine, clock)

    async def wait(delta: timedelta) -> None:
        await simulation.advance_to(clock.now() + delta)

    console = ConsoleAdapter(
        clock=clock,
        on_wait=wait,
        community=CONSOLE_COMMUNITY,
        stdin=stdin,
        stdout=stdout,
        timezone=config.for_community(CONSOLE_COMMUNITY).tz,
    )
    engine.attach(console)
    try:
        await engine.register_community(CONSOLE_COMMUNITY, "console")
        await engine.outbox.drain()  # anything left unsent by an earlier run
        await simulation.advance_to(clock.now())
        await console.start(engine.handle)
        await engine.outbox.drain()
    finally:
        await database.dispose()
    return 0


def platform_adapters(settings: ProcessSettings, http_app: web.Application) -> list[Adapter]:
    """The Slack and/or Discord adapters the environment has tokens for."""
    adapters: list[Adapter] = []
    if settings.slack_enabled:
        from adapters.slack.adapter import SlackAdapter

        adapters.append(SlackAdapter.from_settings(settings, http_app=http_app))
    if settings.discord_enabled:
        from adapters.discord.adapter import DiscordAdapter

        adapters.append(DiscordAdapter.from_settings(settings))
    return adapters


class PlatformRuntime:
    """Runs adapters, the HTTP server, deadline sweeps, jobs and the outbox on real time."""

    def __init__(
        self,
        settings: ProcessSettings,
        config: CircleConfig,
        database: Database,
        *,
        adapters: Sequence[Adapter] | None = None,
    ) -> None:
        self.settings = settings
        register_secrets(secret_values(settings))
        self.http_app = web.Application()
        self.engine = Engine(
            database=database,
            config=config,
            clock=SystemClock(),
            replica=settings.replica_id,
            metrics=Metrics(),
            background_drain=True,
        )
        self.jobs = RealTimeJobs(self.engine)
        if adapters is None:
            adapters = platform_adapters(settings, self.http_app)
        self.adapters = list(adapters)
        for adapter in self.adapters:
            self.engine.attach(adapter)
        self.stopping = asyncio.Event()
        self.ready = False
        self._ticker_task: asyncio.Task[None] | None = None
        OpsEndpoints(self.engine, adapters=self.adapters, started=lambda: self.ready).install(
            self.http_app
        )

    async def run(self) -> int:
        runner = web.AppRunner(self.http_app)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.http_host, self.settings.http_port)
        await site.start()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, self.stopping.set)
        tasks = [asyncio.create_task(a.start(self.engine.handle)) for a in self.adapters]
        self._ticker_task = asyncio.create_task(self._ticker())
        tasks.append(self._ticker_task)
        await self.jobs.start()
        for rule in self.engine.registry.ordered():
            rule.warm_up()  # the first message must not wait ~60 ms for a lexicon to load
        tune_collector()  # start-up objects (SDK clients, config, lexicons) leave its scans
        self.ready = True
        log.info(
            "replica %s serving %s; health, readiness and metrics on %s:%s",
            self.engine.replica,
            ", ".join(a.platform for a in self.adapters) or "no platform",
            self.settings.http_host,
            self.settings.http_port,
        )
        stop = asyncio.create_task(self.stopping.wait())
        done, _ = await asyncio.wait([stop, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stop and task.exception() is not None:
                log.error("a component stopped: %r", task.exception())
        await self.shutdown(tasks)
        await runner.cleanup()
        return 0

    async def _ticker(self) -> None:
        refreshed_at = self.engine.clock.now()
        while not self.stopping.is_set():
            await _quietly(self.engine.refresh_config)  # other replicas' `/circle config` changes
            await _quietly(self.engine.sweep)
            await _quietly(self.engine.outbox.drain)
            await _quietly(self.engine.prune_inbox)  # hourly, by itself
            now = self.engine.clock.now()
            if now - refreshed_at > timedelta(minutes=1):
                await _quietly(self.jobs.refresh)
                refreshed_at = now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=1.0)

    async def shutdown(self, tasks: list[asyncio.Task[Any]]) -> None:
        """Stop taking events, let the ticker finish its round, drain the outbox, release claims."""
        self.ready = False
        self.stopping.set()
        self.jobs.shutdown()
        for adapter in self.adapters:
            with contextlib.suppress(Exception):
                await adapter.stop()
        if self._ticker_task is not None:  # never cancelled mid-send: that could send twice
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._ticker_task), SHUTDOWN_GRACE)
        await self.engine.outbox.settle()
        await _quietly(self.engine.outbox.drain)
        await _quietly(self.engine.outbox.release)
        async with self.engine.database.session() as session:
            await repos.release_deadline_claims(session, replica=self.engine.replica)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def secret_values(settings: ProcessSettings) -> list[str]:
    """Every secret the settings hold (tokens, signing secret, database password), for redaction."""
    values = [
        value.get_secret_value()
        for value in settings.__dict__.values()
        if isinstance(value, SecretStr)
    ]
    with contextlib.suppress(Exception):
        password = make_url(settings.database_url).password
        if password:
            values.append(str(password))
    return values


async def _quietly(step: Callable[[], Any]) -> None:
    try:
        await step()
    except Exception:
        log.exception("background step %s failed; will retry", getattr(step, "__name__", step))


async def run_platforms(settings: ProcessSettings, config: CircleConfig) -> int:
    database = await open_database(settings, migrate=False)
    try:
        return await PlatformRuntime(settings, config, database).run()
    finally:
        await database.dispose()
