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
- The load generator is this (main) process: an aiohttp client pool of ``C`` concurrent
  connections (closed loop) sending ``N`` ``event_callback`` message events (unique event ids,
  50 members in 3 channels, about 10% questions and 20% thread replies), each signed with the
  signing secret (v0 HMAC, its own timestamp) before the timed phase. The servers are measured
  back to back, bare first, ``R`` rounds alternating; each round gets fresh processes and database.

After each circlebot round the script waits (bounded) until every acknowledged event has been
through the core and counts the inbox rows: nothing acknowledged may be lost.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import multiprocessing as mp
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from tests.fakes import slack_payloads as payloads  # noqa: E402
from tests.fakes.slack_requests import JSON, sign  # noqa: E402

SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-bot-token"
CHANNELS = {"C0GENERAL1": "general", "C0HELP0001": "help", "C0RANDOM01": "random"}
USERS = [f"U0BENCH{i:03d}" for i in range(50)]
TEXTS = [
    "good morning everyone",
    "thanks, that worked for me",
    "I pushed the fix to the branch, reviews welcome",
    "the meetup notes are in the wiki now",
    "ha, same here",
    "nice one!",
    "reading the release notes right now",
    "I'll be around this afternoon if anyone wants to pair",
    "+1 to that",
]
QUESTIONS = [
    "how do I configure the proxy for the installer?",
    "does anyone know why the build fails on arm64?",
    "is there a way to run the tests without docker?",
]
SERVERS = ("bare", "circlebot")
TARGET_RATIO = 0.85
TARGET_P99_MS = 50.0
WAIT = 60.0  # seconds: the bound on every start-up, drain and shutdown wait
_MESSAGE_NUMBERS = itertools.count(1)  # message ts are unique across rounds and warm-ups


@dataclass(frozen=True)
class Result:
    """One measured round against one server."""

    server: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    core_events: int | None = None
    drain_seconds: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# ----- requests ------------------------------------------------------------------------------


def build_requests(count: int, *, tag: str) -> list[tuple[bytes, dict[str, str]]]:
    """`count` signed message events with unique event ids (signed now, one signature each)."""
    built: list[tuple[bytes, dict[str, str]]] = []
    roots: list[tuple[str, str]] = []
    for i in range(count):
        user = USERS[(i * 7) % len(USERS)]
        channel = list(CHANNELS)[i % len(CHANNELS)]
        text = QUESTIONS[i % len(QUESTIONS)] if i % 10 == 3 else TEXTS[i % len(TEXTS)]
        n = next(_MESSAGE_NUMBERS)
        ts = f"{1_800_000_000 + n // 1000}.{n % 1000:06d}"
        if i % 5 == 4 and roots:
            root_channel, root_ts = roots[-1 - (i % len(roots))]
            event = payloads.thread_reply(text=text, thread_ts=root_ts, user=user)
            event.update(channel=root_channel, ts=ts, event_ts=ts)
        else:
            event = payloads.message(text=text, user=user, channel=channel, ts=ts)
            roots = [*roots[-20:], (channel, ts)]
        body = payloads.event_callback(event, event_id=f"Ev{tag}{i:09d}", event_time=int(time.time()))
        request = sign(json.dumps(body), signing_secret=SECRET, content_type=JSON)
        built.append((request.body.encode(), request.headers))
    return built


async def load(url: str, requests: list[tuple[bytes, dict[str, str]]], *, concurrency: int) -> Result:
    """Send every request with `concurrency` connections; time each one."""
    latencies: list[float] = []
    errors = 0
    queue = iter(requests)
    timeout = aiohttp.ClientTimeout(total=10)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            nonlocal errors
            for body, headers in queue:
                started = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as resp:
                        await resp.read()
                        ok = resp.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                latencies.append((time.perf_counter() - started) * 1000)
                errors += not ok

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return Result("", len(requests), seconds, latencies, errors)


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
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="disabled")
        profiler.start()
    serve = _serve_circlebot if kind == "circlebot" else _serve_bare
    report = asyncio.run(serve(conn, port=port, api_url=api_url))
    if profiler is not None and profile:
        profiler.stop()
        Path(profile).write_text(profiler.output_text(unicode=True, show_all=False))
    conn.send(report)


async def _serve_bare(conn: Connection, *, port: int, api_url: str) -> dict[str, Any]:
    from aiohttp import web
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    app = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=api_url), signing_secret=SECRET
    )

    @app.event("message")
    async def noop() -> None:
        return None

    runner = web.AppRunner(app.web_app(path="/slack/events"))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    conn.send("ready")
    await _until_told(conn)
    await runner.cleanup()
    return {}


async def _serve_circlebot(conn: Connection, *, port: int, api_url: str) -> dict[str, Any]:
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
        while not (runtime.ready and adapter.ready) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        conn.send("ready")
        await _until_told(conn)
        started = time.perf_counter()
        await asyncio.wait_for(adapter.handoff.join(), WAIT)
        drain = time.perf_counter() - started
        async with database.session() as session:
            count = await session.scalar(select(func.count()).select_from(InboxEntry))
        runtime.stopping.set()
        await asyncio.wait_for(task, WAIT)
        await database.dispose()
    return {"core_events": int(count or 0), "drain_seconds": drain}


def _expect(conn: Connection, what: str) -> Any:
    if not conn.poll(WAIT):
        raise RuntimeError(f"no {what} within {WAIT:.0f}s")
    return conn.recv()


# ----- orchestration -------------------------------------------------------------------------


def measure(kind: str, *, api_url: str, args: argparse.Namespace, tag: str) -> Result:
    """Start one server process, warm it up, measure, stop it; return the round's figures."""
    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    port = free_port()
    profile = args.profile if kind == "circlebot" else None
    proc = ctx.Process(target=server_main, args=(theirs, kind, port, api_url, profile), daemon=True)
    proc.start()
    try:
        _expect(ours, f"{kind} server start")
        url = f"http://127.0.0.1:{port}/slack/events"
        warm = build_requests(args.warmup, tag=f"{tag}w")
        asyncio.run(load(url, warm, concurrency=args.concurrency))
        timed = build_requests(args.requests, tag=tag)
        result = asyncio.run(load(url, timed, concurrency=args.concurrency))
        ours.send("stop")
        report = _expect(ours, f"{kind} server report")
    finally:
        proc.join(WAIT)
        if proc.is_alive():
            proc.terminate()
    core = report.get("core_events")
    if core is not None:
        core -= args.warmup  # warm-up events went through the core too
    return Result(
        kind,
        result.requests,
        result.seconds,
        result.latencies_ms,
        result.errors,
        core_events=core,
        drain_seconds=report.get("drain_seconds"),
    )


def summarise(results: list[Result]) -> Result:
    """Pool the rounds of one server (latencies pooled, time summed)."""
    first = results[0]
    core = [r.core_events for r in results if r.core_events is not None]
    drains = [r.drain_seconds for r in results if r.drain_seconds is not None]
    return Result(
        first.server,
        sum(r.requests for r in results),
        sum(r.seconds for r in results),
        list(itertools.chain.from_iterable(r.latencies_ms for r in results)),
        sum(r.errors for r in results),
        core_events=sum(core) if core else None,
        drain_seconds=max(drains) if drains else None,
    )


def table(results: dict[str, Result]) -> str:
    bare, ours = results["bare"], results["circlebot"]
    ratio = ours.rps / bare.rps
    lines = [
        f"{'server':<10} {'requests':>8} {'rps':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}",
    ]
    for r in (bare, ours):
        lines.append(
            f"{r.server:<10} {r.requests:>8} {r.rps:>8.0f} {r.percentile(0.5):>8.2f}"
            f" {r.percentile(0.99):>8.2f} {r.errors:>6}"
        )
    ok_ratio = "ok" if ratio >= TARGET_RATIO else "MISSED"
    ok_p99 = "ok" if ours.percentile(0.99) <= TARGET_P99_MS else "MISSED"
    lines.append(f"throughput ratio circlebot/bare: {ratio:.2f} (target >= {TARGET_RATIO}: {ok_ratio})")
    lines.append(f"circlebot p99: {ours.percentile(0.99):.2f} ms (target <= {TARGET_P99_MS:.0f}: {ok_p99})")
    if ours.core_events is not None:
        lost = ours.requests - ours.core_events
        lines.append(
            f"circlebot core: {ours.core_events}/{ours.requests} acknowledged events handled "
            f"({lost} lost), longest drain after a round {ours.drain_seconds or 0:.2f}s"
        )
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000, help="timed requests per round")
    parser.add_argument("--concurrency", type=int, default=16, help="connections in the pool")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per server, alternating")
    parser.add_argument("--warmup", type=int, default=300, help="untimed requests per round")
    parser.add_argument("--quick", action="store_true", help="1 round of 1000 requests")
    parser.add_argument("--profile", help="write a pyinstrument profile of circlebot's server")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.rounds, args.warmup = 1000, 1, 100
    args.requests = max(1, min(args.requests, 200_000))
    args.concurrency = max(1, min(args.concurrency, 256))
    args.rounds = max(1, min(args.rounds, 10))
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table; 0 when both targets are met, 1 otherwise."""
    args = parse(argv)
    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    fake = ctx.Process(target=fake_slack_main, args=(theirs,), daemon=True)
    fake.start()
    rounds: dict[str, list[Result]] = {kind: [] for kind in SERVERS}
    try:
        api_url = _expect(ours, "fake Slack start")
        for n in range(args.rounds):
            order = SERVERS if n % 2 == 0 else tuple(reversed(SERVERS))
            for kind in order:
                result = measure(kind, api_url=api_url, args=args, tag=f"{kind[0]}{n}")
                rounds[kind].append(result)
                print(
                    f"round {n + 1} {kind:<9} {result.rps:7.0f} rps"
                    f"  p50 {result.percentile(0.5):6.2f} ms  p99 {result.percentile(0.99):6.2f} ms",
                    file=sys.stderr,
                )
        ours.send("stop")
        calls = _expect(ours, "fake Slack report")
    finally:
        fake.join(WAIT)
        if fake.is_alive():
            fake.terminate()
    pooled = {kind: summarise(results) for kind, results in rounds.items()}
    print(table(pooled))
    print("fake Slack Web API calls: " + ", ".join(f"{m} {c}" for m, c in sorted(calls.items())))
    ratio = pooled["circlebot"].rps / pooled["bare"].rps
    met = ratio >= TARGET_RATIO and pooled["circlebot"].percentile(0.99) <= TARGET_P99_MS
    lost = pooled["circlebot"].requests - (pooled["circlebot"].core_events or 0)
    return 0 if met and lost == 0 and not any(r.errors for r in pooled.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
