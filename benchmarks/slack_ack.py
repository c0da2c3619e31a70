"""Slack ack path: signed event requests per second and latency, circlebot vs a bare bolt app.

Usage: ``.venv/bin/python benchmarks/slack_ack.py [--requests N] [--concurrency C] [--rounds R]
[--quick] [--profile FILE]``

Every process binds 127.0.0.1 only; every wait is bounded; the script stops by itself.

- ``fake Slack`` process: ``tests.fakes.slack_api.FakeSlackAPI`` answers auth.test, users.info,
  conversations.info, chat.postMessage... for both servers (as Slack would, from elsewhere).
- ``circlebot`` server process: ``bot.runtime.PlatformRuntime`` exactly as ``circlebot run``
  builds it in HTTP mode (the SlackAdapter mounted on the runtime's aiohttp app next to /healthz,
  /readyz, /metrics; a real Engine on a SQLite file; every shipped rule enabled with
  ``deploy/circle.example.yaml``; the ticker, jobs and outbox running).
- ``bare`` server process: a slack-bolt ``AsyncApp`` with a no-op ``message`` listener, its
  ``web_app()`` served by the same kind of aiohttp ``AppRunner``/``TCPSite``.
- The load generator is this (main) process: ``C`` kept-alive HTTP/1.1 connections (closed
  loop, a lean asyncio client so that the generator's own CPU use stays small next to the
  server's) sending ``N`` ``event_callback`` message events (unique event ids, 50 members in 3
  channels, about 10% questions and 20% thread replies), each signed with the signing secret
  (v0 HMAC, its own timestamp) before the timed phase.
- ``R`` rounds; each round measures both servers back to back (bare first in odd rounds,
  circlebot first in even ones), each in a fresh process with a fresh database. The headline
  throughput ratio is the **median of the per-round ratios** (circlebot rps / bare rps of the same
  round), so a burst of load from other processes on the machine decides one round, not the
  result. Latency percentiles pool every round's requests. Each server also reports the CPU
  time it used per request in the load window (``time.process_time``), which other processes'
  load disturbs much less than requests per second.

After each circlebot round the script waits (bounded) until every acknowledged event has been
through the core and counts the inbox rows: nothing acknowledged may be lost. It also reports how
many events the core had handled by the end of the load (the core keeps working during a
saturating stream, at its reduced share) and how long the rest took to drain.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing as mp
import socket
import statistics
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from report import emit  # noqa: E402
from slack_ack_load import (  # noqa: E402
    CHANNELS,
    EVENTS_PATH,
    SECRET,
    USERS,
    Result,
    build_requests,
    load,
)

BOT_TOKEN = "xoxb-bench-bot-token"
SERVERS = ("bare", "circlebot")
TARGET_RATIO = 0.85
TARGET_P99_MS = 50.0
WAIT = 60.0  # seconds: the bound on every start-up and shutdown wait
DRAIN_PER_EVENT = 0.1  # seconds: added to WAIT per queued event for the core's drain


# ----- child processes -----------------------------------------------------------------------


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
    """The load window (from ready to stop), optionally profiled with pyinstrument."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.profiler: Any = None
        self.cpu_seconds = 0.0

    async def serve(self, conn: Connection) -> None:
        conn.send("ready")
        cpu = time.process_time()
        try:
            await self._serve(conn)
        finally:
            self.cpu_seconds = time.process_time() - cpu

    async def _serve(self, conn: Connection) -> None:
        if self.path is not None:
            from pyinstrument import Profiler

            self.profiler = Profiler(async_mode="disabled", interval=0.0005)
            self.profiler.start()
        await _until_told(conn)
        if self.profiler is not None and self.path is not None:
            self.profiler.stop()
            self.path.write_text(self.profiler.output_text(unicode=True, show_all=False))


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
    await window.serve(conn)
    await runner.cleanup()
    return {"cpu_seconds": window.cpu_seconds}


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
        await window.serve(conn)
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
    }


def _expect(conn: Connection, what: str, *, bound: float = WAIT) -> Any:
    if not conn.poll(bound):
        raise RuntimeError(f"no {what} within {bound:.0f}s")
    return conn.recv()


# ----- orchestration -------------------------------------------------------------------------


def measure(kind: str, *, api_url: str, args: argparse.Namespace, tag: str) -> Result:
    """Start one server process, warm it up, measure, stop it; return the round's figures."""
    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    port = free_port()
    proc = ctx.Process(
        target=server_main, args=(theirs, kind, port, api_url, args.profile), daemon=True
    )
    proc.start()
    try:
        _expect(ours, f"{kind} server start")
        warm = build_requests(args.warmup, tag=f"{tag}w", port=port)
        timed = build_requests(args.requests, tag=tag, port=port)  # no idle gap after warm-up
        asyncio.run(load(port, warm, concurrency=args.concurrency))
        result = asyncio.run(load(port, timed, concurrency=args.concurrency))
        ours.send("stop")
        drain = (args.requests + args.warmup) * DRAIN_PER_EVENT
        report = _expect(ours, f"{kind} server report", bound=2 * WAIT + drain)
    finally:
        proc.join(WAIT)
        if proc.is_alive():
            proc.terminate()
    core = report.get("core_events")
    if core is not None:
        core -= args.warmup  # warm-up events went through the core too
    backlog = report.get("backlog")
    return Result(
        kind,
        result.requests,
        result.seconds,
        result.latencies_ms,
        result.errors,
        core_events=core,
        drain_seconds=report.get("drain_seconds"),
        cpu_ms=1000 * report["cpu_seconds"] / (args.requests + args.warmup),
        core_during_load=None if backlog is None else args.requests + args.warmup - backlog,
    )


def summarise(results: list[Result]) -> Result:
    """Pool the rounds of one server (latencies pooled, time summed)."""
    core = [r.core_events for r in results if r.core_events is not None]
    drains = [r.drain_seconds for r in results if r.drain_seconds is not None]
    during = [r.core_during_load for r in results if r.core_during_load is not None]
    return Result(
        results[0].server,
        sum(r.requests for r in results),
        sum(r.seconds for r in results),
        [ms for r in results for ms in r.latencies_ms],
        sum(r.errors for r in results),
        core_events=sum(core) if core else None,
        drain_seconds=max(drains) if drains else None,
        cpu_ms=statistics.median(r.cpu_ms for r in results if r.cpu_ms is not None),
        core_during_load=sum(during) if during else None,
    )


def report(rounds: dict[str, list[Result]]) -> tuple[str, bool]:
    """The table (pooled rounds) and whether every target was met with nothing lost."""
    bare, ours = summarise(rounds["bare"]), summarise(rounds["circlebot"])
    paired = [c.rps / b.rps for b, c in zip(rounds["bare"], rounds["circlebot"], strict=True)]
    ratio = statistics.median(paired)
    bare_rps = statistics.median(r.rps for r in rounds["bare"])
    ours_rps = statistics.median(r.rps for r in rounds["circlebot"])
    p99 = ours.percentile(0.99)
    head = f"{'server':<10} {'requests':>8} {'median rps':>10} {'p50 ms':>8} {'p99 ms':>8}"
    lines = [head + f" {'errors':>6} {'CPU ms/req':>10}"]
    lines += [
        f"{r.server:<10} {r.requests:>8} {rps:>10.0f} {r.percentile(0.5):>8.2f}"
        f" {r.percentile(0.99):>8.2f} {r.errors:>6} {r.cpu_ms or 0:>10.3f}"
        for r, rps in ((bare, bare_rps), (ours, ours_rps))
    ]
    lines.append(
        f"throughput ratio circlebot/bare, median of {len(paired)} rounds: {ratio:.2f} "
        f"(target >= {TARGET_RATIO}: {'ok' if ratio >= TARGET_RATIO else 'MISSED'}); per round: "
        + " ".join(f"{x:.2f}" for x in paired)
        + f"; pooled {ours.rps / bare.rps:.2f}"
    )
    cpu_ratio = (bare.cpu_ms or 0) / (ours.cpu_ms or 1)
    lines.append(f"server CPU per request, bare/circlebot (medians): {cpu_ratio:.2f}")
    lines.append(
        f"circlebot p99: {p99:.2f} ms (target <= {TARGET_P99_MS:.0f}: "
        f"{'ok' if p99 <= TARGET_P99_MS else 'MISSED'})"
    )
    lost = ours.requests - (ours.core_events or 0)
    lines.append(
        f"circlebot core: {ours.core_events}/{ours.requests} acknowledged events handled "
        f"({lost} lost); {ours.core_during_load} of them (with warm-ups) while the load ran; "
        f"longest drain after a round {ours.drain_seconds or 0:.1f}s"
    )
    errors = bare.errors + ours.errors
    met = ratio >= TARGET_RATIO and p99 <= TARGET_P99_MS and lost == 0 and errors == 0
    name = "slack ack path"
    emit(name, "bare bolt rps", bare_rps)
    emit(name, "circlebot rps", ours_rps)
    emit(name, "throughput ratio", ratio, target=f">= {TARGET_RATIO}", ok=ratio >= TARGET_RATIO)
    emit(name, "circlebot p50", ours.percentile(0.5), unit="ms")
    emit(
        name,
        "circlebot p99",
        p99,
        unit="ms",
        target=f"<= {TARGET_P99_MS:.0f}",
        ok=p99 <= TARGET_P99_MS,
    )
    emit(name, "events lost", lost, target="0", ok=lost == 0)
    emit(name, "CPU per request ratio bare/circlebot", cpu_ratio)
    return "\n".join(lines), met


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000, help="timed requests per round")
    parser.add_argument("--concurrency", type=int, default=16, help="connections in the pool")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (one run of each server)")
    parser.add_argument("--warmup", type=int, default=300, help="untimed requests per round")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 1000 requests")
    parser.add_argument(
        "--profile", help="directory: write pyinstrument profiles of each server's load window"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.rounds, args.warmup = 1000, 3, 100
    args.requests = max(1, min(args.requests, 200_000))
    args.concurrency = max(1, min(args.concurrency, 256))
    args.rounds = max(1, min(args.rounds, 10))
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table; 0 when every target is met, 1 otherwise."""
    args = parse(argv)
    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    fake = ctx.Process(target=fake_slack_main, args=(theirs,), daemon=True)
    fake.start()
    rounds: dict[str, list[Result]] = {kind: [] for kind in SERVERS}
    try:
        api_url = _expect(ours, "fake Slack start")
        for n in range(args.rounds):
            for kind in SERVERS if n % 2 == 0 else SERVERS[::-1]:
                result = measure(kind, api_url=api_url, args=args, tag=f"{kind[0]}{n}")
                rounds[kind].append(result)
                print(
                    f"round {n + 1} {kind:<9} {result.rps:6.0f} rps  p50 "
                    f"{result.percentile(0.5):6.2f} ms  p99 {result.percentile(0.99):6.2f} ms  "
                    f"CPU {result.cpu_ms or 0:.3f} ms/req",
                    file=sys.stderr,
                    flush=True,
                )
        ours.send("stop")
        calls = _expect(ours, "fake Slack report")
    finally:
        fake.join(WAIT)
        if fake.is_alive():
            fake.terminate()
    text, met = report(rounds)
    print(text)
    print("fake Slack Web API calls: " + ", ".join(f"{m} {c}" for m, c in sorted(calls.items())))
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
