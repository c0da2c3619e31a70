"""`circlebot run`'s PlatformRuntime in its own process, with a slow file adapter (SIGTERM test)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from bot.actions import Action, ActionResult
from bot.adapter import Capabilities
from bot.circle_config import CircleConfig
from bot.logs import setup_logging
from bot.rule import RuleRegistry
from bot.runtime import PlatformRuntime, open_database
from bot.settings import ProcessSettings
from tests.core.sample_rules import EchoRule


class SlowFileAdapter:
    """Takes a while per action and appends each one to a file; connected until stopped."""

    platform = "test"
    capabilities = Capabilities()

    def __init__(self, path: Path, delay: float) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.delay = delay
        self.ready = False
        self._stopped = asyncio.Event()

    async def start(self, sink: Any) -> None:
        self.ready = True
        await self._stopped.wait()

    async def stop(self) -> None:
        self.ready = False
        self._stopped.set()

    async def execute(self, action: Action) -> ActionResult:
        await asyncio.sleep(self.delay)
        os.write(self.fd, f"{action.text}\n".encode())
        return ActionResult()


async def main(sent_log: Path) -> int:
    settings = ProcessSettings()
    setup_logging(level=settings.log_level, fmt=settings.log_format)
    config = CircleConfig.from_text("", RuleRegistry([EchoRule]), source="worker")
    database = await open_database(settings, migrate=False)
    adapter = SlowFileAdapter(sent_log, delay=0.1)
    try:
        return await PlatformRuntime(settings, config, database, adapters=[adapter]).run()
    finally:
        await database.dispose()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(Path(sys.argv[1]))))
