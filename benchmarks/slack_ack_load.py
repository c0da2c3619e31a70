"""Load side of `slack_ack.py`: signed Slack message events as raw requests, a lean client.

The client keeps `C` HTTP/1.1 connections alive and sends pre-encoded requests in a closed loop,
so the generator spends little CPU per request (aiohttp's client costs several times more, and
on a 2-core machine that CPU comes out of the server's share).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass

from tests.fakes import slack_payloads as payloads
from tests.fakes.slack_requests import JSON, sign

SECRET = "bench-signing-secret"
EVENTS_PATH = "/slack/events"
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
    cpu_ms: float | None = None  # server CPU time per request in the timed window
    gc_ms: float | None = None  # of which in the garbage collector
    core_ms: float | None = None  # of which in the core's hand-off jobs (circlebot)
    core_during_load: int | None = None  # events through the core when the load ended

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# ----- requests ------------------------------------------------------------------------------


def build_requests(count: int, *, tag: str, port: int) -> list[bytes]:
    """`count` signed message events with unique event ids, as raw HTTP/1.1 requests."""
    built: list[bytes] = []
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
        body = payloads.event_callback(
            event, event_id=f"Ev{tag}{i:09d}", event_time=int(time.time())
        )
        signed = sign(json.dumps(body), signing_secret=SECRET, content_type=JSON)
        payload = signed.body.encode()
        head = [f"POST {EVENTS_PATH} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
        head += [f"{name}: {value}" for name, value in signed.headers.items()]
        head.append(f"Content-Length: {len(payload)}")
        built.append(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
    return built


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> bool:
    """Send one request on a kept-alive connection, read the whole answer; True on a 200."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status == 200


async def load(port: int, requests: list[bytes], *, concurrency: int) -> Result:
    """Send every request over `concurrency` kept-alive connections (closed loop); time each."""
    latencies: list[float] = []
    errors = 0
    queue = iter(requests)

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for request in queue:
                started = time.perf_counter()
                try:
                    ok = await asyncio.wait_for(exchange(reader, writer, request), 10)
                except (OSError, ValueError, IndexError, TimeoutError, asyncio.IncompleteReadError):
                    ok = False
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                latencies.append((time.perf_counter() - started) * 1000)
                errors += not ok
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    return Result("", len(requests), seconds, latencies, errors)
