"""`circlebot demo`: a scripted community on a simulated clock, each norm shown at work."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.circle_config import CircleConfig
from bot.clock import SimulatedClock
from bot.durations import format_duration
from bot.engine import Engine
from bot.rule import default_registry
from bot.settings import ProcessSettings
from bot.simulation import Simulation
from bot.storage.db import Database

COMMUNITY = "console:circle"
TZ = "Europe/Madrid"
START = datetime(2026, 11, 27, 9, 30, tzinfo=ZoneInfo(TZ))  # a Friday morning
DEMO_CONFIG = f"""
community:
  name: the demo circle
  timezone: {TZ}
  moderators_channel: mods
  intro_channel: intros
  moderators:
    users: [host]
"""


@dataclass(frozen=True)
class Step:
    """A labelled moment of the demo."""

    label: str


Line = str | Callable[["DemoReader"], str]


class DemoReader:
    """Feeds the console adapter the script line by line, printing step labels on the way."""

    def __init__(self, *, script: tuple[Step | Line, ...], out: TextIO, pause: float) -> None:
        self.script = list(script)
        self.out = out
        self.pause = pause
        self.clock: SimulatedClock | None = None
        self.numbers: dict[str, int] = {}
        self.adapter_state: object = None
        self.steps = 0

    def isatty(self) -> bool:
        return False

    def readline(self) -> str:
        while self.script:
            item = self.script.pop(0)
            if isinstance(item, Step):
                self.steps += 1
                if self.pause:
                    time.sleep(self.pause)
                self.out.write(f"\n=== Step {self.steps}: {item.label} ===\n")
                self.out.flush()
                continue
            return (item if isinstance(item, str) else item(self)) + "\n"
        return ""

    def number_of(self, author: str, fragment: str) -> int:
        """The console number of the latest message by `author` containing `fragment`."""
        messages = getattr(self.adapter_state, "messages", {})
        for number in sorted(messages, reverse=True):
            message = messages[number]
            if message.author == author and fragment in message.text:
                return int(number)
        raise LookupError(f"no message by {author} containing {fragment!r}")

    def wait_until(self, day: int, hour: int, minute: int = 0) -> str:
        """A `/wait` that lands on `day` (of November 2026) at `hour:minute` community time."""
        assert self.clock is not None
        target = datetime(2026, 11, day, hour, minute, tzinfo=ZoneInfo(TZ))
        return f"/wait {format_duration(target - self.clock.now())}"


def script() -> tuple[Step | Line, ...]:
    """Friday morning in the demo circle, then the afternoon prompt and Saturday's digest."""
    return (
        Step("a newcomer joins and is welcomed with the circle's norms"),
        "/join maya",
        "/in intros",
        "Hi all, I'm Maya: I run a small makerspace and I'm learning Linux.",
        Step("a first post full of links is held for review, kindly, and nothing is lost"),
        "/join quickgains",
        "/in general",
        "Get 10k followers today!!! https://cheap-followers.example https://cheap-followers.example/buy",
        Step("a question waits, so helpers are nudged after 15 minutes"),
        "/as maya",
        "/in help",
        "How do I mount a USB disk from the terminal on Ubuntu?",
        "/wait 20m",
        Step("a helper answers in the thread; Maya says it worked, so it is marked solved"),
        "/join sam",
        lambda r: f"/thread {r.number_of('maya', 'USB disk')} Try `udisksctl mount -b /dev/sdb1`",
        "/as maya",
        lambda r: f"/thread {r.number_of('maya', 'USB disk')} Thanks Sam, that worked!",
        "/as host",
        "/circle unanswered",
        Step("Friday 15:00: a light open question goes out to the circle"),
        lambda r: r.wait_until(27, 15, 1),
        "/as sam",
        lambda r: f"/thread {r.number_of('circlebot', 'Open question')} A long walk by the sea.",
        Step("Saturday 09:00: the moderators' daily digest arrives"),
        lambda r: r.wait_until(28, 9, 1),
        "/quit",
    )


async def command(args: argparse.Namespace, settings: ProcessSettings) -> int:
    """Run the guided demo on a temporary SQLite database; returns the exit code."""
    from adapters.console.adapter import ConsoleAdapter

    registry = default_registry()
    if args.config:
        config = CircleConfig.load(args.config, registry)
    else:
        config = CircleConfig.from_text(DEMO_CONFIG, registry, source="demo")
    out = sys.stdout
    reader = DemoReader(script=script(), out=out, pause=0.0 if args.fast else 1.5)
    with tempfile.TemporaryDirectory(prefix="circlebot-demo-") as tmp:
        database = Database(f"sqlite:///{Path(tmp) / 'demo.db'}")
        await database.upgrade()
        clock = SimulatedClock(START)
        reader.clock = clock
        engine = Engine(database=database, config=config, clock=clock, replica="demo")
        simulation = Simulation(engine, clock)

        async def wait(delta: timedelta) -> None:
            await simulation.advance_to(clock.now() + delta)

        console = ConsoleAdapter(
            clock=clock, on_wait=wait, community=COMMUNITY, stdin=reader, stdout=out,  # type: ignore[arg-type]
            timezone=config.for_community(COMMUNITY).tz,
        )  # fmt: skip
        reader.adapter_state = console.state
        engine.attach(console)
        out.write(
            "circlebot demo: a small circle on a simulated clock. Lines starting with `>` are\n"
            "what members type; `bot →` is what circlebot does. Nothing leaves this terminal.\n"
        )
        try:
            await engine.register_community(COMMUNITY, "demo")
            await simulation.advance_to(clock.now())
            await console.start(engine.handle)
            await engine.outbox.drain()
        finally:
            await database.dispose()
    out.write(f"\nThat was {reader.steps} steps of a circle of trust. Try it yourself: make run\n")
    return 0
