"""Server side of `slack_ack.py`: the fake Slack, the bare bolt app and circlebot, each a process.

Every process binds 127.0.0.1 only and every wait is bounded (`WAIT`). A server process talks to
the load generator over a pipe: "ready" -> (optional "settle" -> "settled") -> "stop" -> its
report (CPU, garbage-collector and, for circlebot, core time in the timed window; the core's
backlog when the load ended, its drain time and the inbox count).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from slack_ack_load import CHANNELS, EVENTS_PATH, SECRET, USERS  # noqa: E402

BOT_TOKEN = "xoxb-bench-bot-token"
WAIT = 60.0  # seconds: the bound on every start-up and shutdown wait
DRAIN_PER_EVENT = 0.1  # seconds: added to WAIT per queued event for the core's drain


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fake_slack_main(conn: Connection) -> None:
    """Child: the fake Web API until told to stop."""
    asyncio.run(_fake_slack(conn))


async def _fake_slack(conn: Connection) -> None:
    from tests.fakes.slack_api import FakeSlackAPI

    async with FakeSlackAPI() as api:
        for channel, name in CHANNELS.items():
            api.workspace.add_channel(channel, name=name, members=USERS)
        for n, user in enumerate(USERS):
            api.workspace.add_user(user, name=f"member{n}", is_admin=n == 0)
        conn.send(api.base_url)
        await _until_told(conn)
        counts: dict[str, int] = {}
        for call in api.calls:
            counts[call.method] = counts.get(call.method, 0) + 1
        conn.send(counts)


async def _until_told(conn: Connection) -> Any:
    loop = asyncio.get_running_loop()
    ready = await asyncio.wait_for(loop.run_in_executor(None, conn.poll, WAIT * 10), WAIT * 10)
    return conn.recv() if ready else None


def server_main(conn: Connection, kind: str, port: int, api_url: str, profile: str | None) -> None:
    """Child: one server (`bare` or `circlebot`) on 127.0.0.1:`port` until told to stop."""
    logging.basicConfig(level=logging.WARNING)
    serve = _serve_circlebot if kind == "circlebot" else _serve_bare
    window = _Window(Path(profile) / f"{kind}.txt" if profile else None)
    report = asyncio.run(serve(conn, port=port, api_url=api_url, window=window))
    conn.send(report)


class _Window:
    """The load window (from ready to stop): CPU and garbage-collector time; pyinstrument."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.profiler: Any = None
        self.cpu_seconds = 0.0
        self.gc_seconds = 0.0
        self._gc_started = 0.0

    def _on_gc(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_seconds += time.perf_counter() - self._gc_started

    async def serve(self, conn: Connection, settle: Callable[[], Awaitable[Any]]) -> None:
        """Ready; on "settle" let the warm-up's work finish; measure until "stop"."""
        conn.send("ready")
        if await _until_told(conn) == "settle":
            await asyncio.wait_for(settle(), WAIT)
            conn.send("settled")
        gc.callbacks.append(self._on_gc)
        cpu = time.process_time()
        try:
            await self._serve(conn)
        finally:
            self.cpu_seconds = time.process_time() - cpu
            gc.callbacks.remove(self._on_gc)

    async def _serve(self, conn: Connection) -> None:
        if self.path is not None:
            from pyinstrument import Profiler

            self.profiler = Profiler(async_mode="disabled", interval=0.0005)
            self.profiler.start()
        await _until_told(conn)
        if self.profiler is not None and self.path is not None:
            self.profiler.stop()
            self.path.write_text(self.profiler.output_text(unicode=True, show_all=False))


async def _nothing() -> None:
    return None


async def _serve_bare(
    conn: Connection, *, port: int, api_url: str, window: _Window
) -> dict[str, Any]:
    from aiohttp import web
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    app = AsyncApp(client=AsyncWebClient(token=BOT_TOKEN, base_url=api_url), signing_secret=SECRET)

    @app.event("message")
    async def noop() -> None:
        return None

    runner = web.AppRunner(app.web_app(path=EVENTS_PATH))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await window.serve(conn, settle=_nothing)
    await runner.cleanup()
    return {"cpu_seconds": window.cpu_seconds, "gc_seconds": window.gc_seconds}


async def _serve_circlebot(
    conn: Connection, *, port: int, api_url: str, window: _Window
) -> dict[str, Any]:
    from pydantic import SecretStr
    from sqlalchemy import func, select

    from adapters.slack.adapter import SlackAdapter
    from bot.runtime import PlatformRuntime, load_config, open_database
    from bot.settings import ProcessSettings
    from bot.storage.models import InboxEntry

    with tempfile.TemporaryDirectory(prefix="circlebot-bench-") as tmp:
        settings = ProcessSettings(
            database_url=f"sqlite:///{tmp}/circlebot.db",
            http_host="127.0.0.1",
            http_port=port,
            replica_id="bench",
            slack_bot_token=SecretStr(BOT_TOKEN),
            slack_signing_secret=SecretStr(SECRET),
            slack_app_token=None,
            slack_api_url=api_url,
            discord_token=None,
        )
        config = load_config(settings, str(ROOT / "deploy" / "circle.example.yaml"))
        database = await open_database(settings, migrate=True)
        runtime = PlatformRuntime(settings, config, database)
        [adapter] = runtime.adapters
        assert isinstance(adapter, SlackAdapter)
        task = asyncio.create_task(runtime.run())
        deadline = time.monotonic() + WAIT
        while not (runtime.ready and adapter.ready) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        handoff = adapter.handoff
        settled_work = [0.0]

        async def settle() -> None:
            await handoff.join()
            settled_work[0] = handoff.work_seconds

        await window.serve(conn, settle=settle)
        core_seconds = handoff.work_seconds - settled_work[0]
        started = time.perf_counter()
        queued = backlog = adapter.handoff.pending
        await asyncio.wait_for(adapter.handoff.join(), WAIT + queued * DRAIN_PER_EVENT)
        drain = time.perf_counter() - started
        async with database.session() as session:
            count = await session.scalar(select(func.count()).select_from(InboxEntry))
        runtime.stopping.set()
        await asyncio.wait_for(task, WAIT)
        await database.dispose()
    return {
        "core_events": int(count or 0),
        "drain_seconds": drain,
        "backlog": backlog,
        "cpu_seconds": window.cpu_seconds,
        "gc_seconds": window.gc_seconds,
        "core_seconds": core_seconds,
    }


def expect(conn: Connection, what: str, *, bound: float = WAIT) -> Any:
    if not conn.poll(bound):
        raise RuntimeError(f"no {what} within {bound:.0f}s")
    return conn.recv()
