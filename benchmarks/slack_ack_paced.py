"""Slack ack path at a steady rate: does the core keep up while requests keep arriving?

Usage: ``.venv/bin/python benchmarks/slack_ack_paced.py [--rate R] [--seconds S] [--warmup W]``

`slack_ack.py` saturates the server (a closed loop) and so measures the ack path with the core
held to its share. A community's traffic is a stream at some rate instead: requests keep
arriving (the hand-off's "busy"), yet the loop has time to spare. This script sends signed
message events at `R` per second for `S` seconds (open loop: a request is sent when it is due,
whatever the answers) to circlebot as `circlebot run` builds it (the same server process as
`slack_ack.py`, after the same warm-up and settle), and reports how many the core had handled
when the stream ended, how long the rest took, the core's time, and ack latency.

Every process binds 127.0.0.1 only; every wait is bounded; the script stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from report import emit  # noqa: E402
from slack_ack_load import build_requests, exchange  # noqa: E402
from slack_ack_servers import WAIT, expect, fake_slack_main, free_port, server_main  # noqa: E402

CONNECTIONS = 16


async def stream(port: int, requests: list[bytes], rate: float) -> tuple[float, list[float], int]:
    """Send `requests` at `rate` per second over kept-alive connections; wall, latencies, errors."""
    queue: asyncio.Queue[bytes | None] = asyncio.Queue()
    latencies: list[float] = []
    errors = 0

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while (request := await queue.get()) is not None:
                started = time.perf_counter()
                ok = await asyncio.wait_for(exchange(reader, writer, request), 10)
                latencies.append((time.perf_counter() - started) * 1000)
                errors += not ok
        finally:
            writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(CONNECTIONS)]
    started = time.perf_counter()
    for n, request in enumerate(requests):
        wait = started + n / rate - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        queue.put_nowait(request)
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.wait_for(asyncio.gather(*workers), WAIT)
    return time.perf_counter() - started, sorted(latencies), errors


def main(argv: list[str] | None = None) -> int:
    """Run one stream against circlebot and print the figures; 0 unless a request failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=500.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of the stream")
    parser.add_argument("--warmup", type=int, default=300, help="requests before the stream")
    args = parser.parse_args(argv)
    rate = max(1.0, min(args.rate, 20_000.0))
    count = max(1, min(int(rate * args.seconds), 200_000))
    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    fake = ctx.Process(target=fake_slack_main, args=(theirs,), daemon=True)
    fake.start()
    try:
        api_url = expect(ours, "fake Slack start")
        server, child = ctx.Pipe()
        port = free_port()
        proc = ctx.Process(
            target=server_main, args=(child, "circlebot", port, api_url, None), daemon=True
        )
        proc.start()
        try:
            expect(server, "circlebot server start")
            warm = build_requests(args.warmup, tag="pw", port=port)
            timed = build_requests(count, tag="pt", port=port)
            asyncio.run(stream(port, warm, 2000.0))
            server.send("settle")
            expect(server, "circlebot server settled", bound=2 * WAIT)
            wall, latencies, errors = asyncio.run(stream(port, timed, rate))
            server.send("stop")
            report = expect(server, "circlebot server report", bound=2 * WAIT + count * 0.1)
        finally:
            proc.join(WAIT)
            if proc.is_alive():
                proc.terminate()
        ours.send("stop")
        expect(ours, "fake Slack report")
    finally:
        fake.join(WAIT)
        if fake.is_alive():
            fake.terminate()
    during = count - report["backlog"]
    lost = count + args.warmup - report["core_events"]
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    print(f"circlebot, {count:,} signed message events at {rate:,.0f}/s ({wall:.1f} s)")
    print(f"  handled by the core while the stream ran  {during:,} ({100 * during / count:.0f}%)")
    print(f"  core time during the stream               {report['core_seconds']:.2f} s")
    print(f"  drain after the stream                    {report['drain_seconds']:.2f} s")
    print(f"  ack latency p50 / p99                     {p50:.2f} / {p99:.2f} ms")
    print(f"  errors                                    {errors}")
    print(f"  lost (acknowledged, never in the inbox)   {lost}")
    name = f"slack ack paced ({rate:,.0f}/s)"
    emit(name, "handled during the stream", 100 * during / count, unit="%")
    emit(name, "drain after", report["drain_seconds"], unit="s")
    emit(name, "ack p99", p99, unit="ms")
    return 0 if errors == 0 and lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
