"""Slack ack path: signed event requests per second and latency, circlebot vs a bare bolt app.

Usage: ``.venv/bin/python benchmarks/slack_ack.py [--requests N] [--concurrency C] [--rounds R]
[--quick] [--profile FILE]``

Every process binds 127.0.0.1 only; every wait is bounded; the script stops by itself. The
server processes are in `slack_ack_servers.py`, the requests and the client in `slack_ack_load.py`.

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
- Each round warms a fresh server up with ``W`` requests, then lets it settle: circlebot's core
  handles the warm-up events (its one-time start-up work: the first ``users.info`` and
  ``conversations.info`` lookups, SQLAlchemy's first compilation of each statement), so the
  timed window measures a running server, not the first second of a new process. The timed
  requests then arrive at full speed, and the core handles them at its share during the load.
- ``R`` rounds; each round measures both servers back to back (bare first in odd rounds,
  circlebot first in even ones), each in a fresh process with a fresh database. The headline
  throughput ratio is the **median of the per-round ratios** (circlebot rps / bare rps of the same
  round), so a burst of load from other processes on the machine decides one round, not the
  result. Latency percentiles pool every round's requests. Each server also reports the CPU
  time it used per request in the timed window (``time.process_time``), which other processes'
  load disturbs much less than requests per second, how much of it went to the garbage
  collector (``gc.callbacks``) and, for circlebot, to the core's hand-off jobs.

After each circlebot round the script waits (bounded) until every acknowledged event has been
through the core and counts the inbox rows: nothing acknowledged may be lost. It also reports how
many events the core had handled by the end of the load (the core keeps working during a
saturating stream, at its reduced share) and how long the rest took to drain.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from report import emit  # noqa: E402
from slack_ack_load import Result, build_requests, load  # noqa: E402
from slack_ack_servers import (  # noqa: E402
    DRAIN_PER_EVENT,
    WAIT,
    expect,
    fake_slack_main,
    free_port,
    server_main,
)

SERVERS = ("bare", "circlebot")
TARGET_RATIO = 0.85
TARGET_P99_MS = 50.0


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
        expect(ours, f"{kind} server start")
        warm = build_requests(args.warmup, tag=f"{tag}w", port=port)
        timed = build_requests(args.requests, tag=tag, port=port)
        asyncio.run(load(port, warm, concurrency=args.concurrency))
        ours.send("settle")  # the core handles the warm-up events: its one-time start-up costs
        expect(ours, f"{kind} server settled", bound=2 * WAIT)
        result = asyncio.run(load(port, timed, concurrency=args.concurrency))
        ours.send("stop")
        drain = (args.requests + args.warmup) * DRAIN_PER_EVENT
        report = expect(ours, f"{kind} server report", bound=2 * WAIT + drain)
    finally:
        proc.join(WAIT)
        if proc.is_alive():
            proc.terminate()
    core = report.get("core_events")
    if core is not None:
        core -= args.warmup  # warm-up events went through the core too
    backlog = report.get("backlog")
    core_seconds = report.get("core_seconds")
    return Result(
        kind,
        result.requests,
        result.seconds,
        result.latencies_ms,
        result.errors,
        core_events=core,
        drain_seconds=report.get("drain_seconds"),
        cpu_ms=1000 * report["cpu_seconds"] / args.requests,
        gc_ms=1000 * report["gc_seconds"] / args.requests,
        core_ms=None if core_seconds is None else 1000 * core_seconds / args.requests,
        core_during_load=None if backlog is None else args.requests - backlog,
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
        gc_ms=statistics.median(r.gc_ms for r in results if r.gc_ms is not None),
        core_ms=statistics.median(r.core_ms for r in results if r.core_ms is not None)
        if any(r.core_ms is not None for r in results)
        else None,
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
    lines = [head + f" {'errors':>6} {'CPU ms/req':>10} {'GC ms/req':>9} {'core ms/req':>11}"]
    lines += [
        f"{r.server:<10} {r.requests:>8} {rps:>10.0f} {r.percentile(0.5):>8.2f}"
        f" {r.percentile(0.99):>8.2f} {r.errors:>6} {r.cpu_ms or 0:>10.3f} {r.gc_ms or 0:>9.3f}"
        f" {r.core_ms or 0:>11.3f}"
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
        f"({lost} lost); {ours.core_during_load} of them while the load ran; "
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
    parser.add_argument("--rounds", type=int, default=7, help="rounds (one run of each server)")
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
        api_url = expect(ours, "fake Slack start")
        for n in range(args.rounds):
            for kind in SERVERS if n % 2 == 0 else SERVERS[::-1]:
                result = measure(kind, api_url=api_url, args=args, tag=f"{kind[0]}{n}")
                rounds[kind].append(result)
                print(
                    f"round {n + 1} {kind:<9} {result.rps:6.0f} rps  p50 "
                    f"{result.percentile(0.5):6.2f} ms  p99 {result.percentile(0.99):6.2f} ms  "
                    f"CPU {result.cpu_ms or 0:.3f} ms/req  GC {result.gc_ms or 0:.3f}"
                    f"  core {result.core_ms or 0:.3f} ms/req",
                    file=sys.stderr,
                    flush=True,
                )
        ours.send("stop")
        calls = expect(ours, "fake Slack report")
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
