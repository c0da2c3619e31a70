"""One replica for the scale tests: a real Engine on the shared database, logging to a file."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.actions import Action, ActionResult, Post, Reply
from bot.adapter import Capabilities
from bot.circle_config import CircleConfig
from bot.clock import SystemClock
from bot.context import DueItem, JobRun, RuleContext
from bot.engine import Engine
from bot.events import Event, MessagePosted
from bot.rule import JobSpec, Rule, RuleRegistry
from bot.storage.db import Database

COMMUNITY = "test:circle"
JOB = JobSpec("tick", "* * * * *")
JOB_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class ScaleRule(Rule):
    """One reply per message, one post per deadline and per job fire; can freeze its replica."""

    name = "scale"
    handles = (MessagePosted,)
    freeze_after: int | None = None
    frozen_marker: Path | None = None
    _due_calls = 0

    async def on_event(self, event: Event, ctx: RuleContext) -> list[Action]:
        assert isinstance(event, MessagePosted)
        text = f"event:{event.message_id}"
        return [Reply(community=ctx.community, channel="general", message_id="m", text=text)]

    async def on_due(self, item: DueItem, ctx: RuleContext) -> list[Action]:
        ScaleRule._due_calls += 1
        if self.freeze_after is not None and ScaleRule._due_calls >= self.freeze_after:
            assert self.frozen_marker is not None
            self.frozen_marker.write_text("frozen")
            os.kill(os.getpid(), signal.SIGSTOP)  # hung, holding its claims, until killed
        return [Post(community=ctx.community, channel="general", text=f"due:{item.key}")]

    async def on_job(self, run: JobRun, ctx: RuleContext) -> list[Action]:
        text = f"job:{run.fire_time.isoformat()}"
        return [Post(community=ctx.community, channel="general", text=text)]


class FileAdapter:
    """Appends each executed action to a file shared by every replica (one atomic write each)."""

    platform = "test"
    capabilities = Capabilities()

    def __init__(self, path: Path, replica: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.replica = replica

    async def start(self, sink: Any) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def execute(self, action: Action) -> ActionResult:
        os.write(self.fd, f"{self.replica}\t{action.text}\n".encode())
        return ActionResult()


def message(spec: dict[str, str]) -> MessagePosted:
    return MessagePosted(
        platform="test",
        event_id=spec["event_id"],
        community=COMMUNITY,
        at=datetime.now(UTC),
        user=spec["user"],
        channel="general",
        message_id=spec["message_id"],
        text="ping",
    )


async def deliver(engine: Engine, events: list[dict[str, str]], fires: int) -> None:
    for spec in events:  # the sweep loop sends; a delivery never waits for the whole backlog
        await engine.handle_batch([message(spec)], send=False)
    for minute in range(fires):
        fire = JOB_EPOCH + timedelta(minutes=minute)
        await engine.run_job(
            community=COMMUNITY, rule_name="scale", spec=JOB, fire_time=fire, send=False
        )


async def main(args: argparse.Namespace, events: list[dict[str, str]]) -> int:
    ScaleRule.freeze_after = args.freeze_after
    ScaleRule.frozen_marker = Path(args.dir) / f"{args.replica}.frozen"
    lease = timedelta(seconds=args.lease)
    database = Database(args.url)
    engine = Engine(
        database=database,
        config=CircleConfig.from_text("", RuleRegistry([ScaleRule]), source="scale"),
        clock=SystemClock(),
        adapters={"test": FileAdapter(Path(args.dir) / "sent.log", args.replica)},
        replica=args.replica,
        deadline_lease=lease,
        outbox_lease=lease,
    )
    stop = Path(args.dir) / "stop"
    delivering = asyncio.create_task(deliver(engine, events, args.fires))
    try:
        while not stop.exists():
            await engine.sweep(limit=args.batch, send=False)
            await engine.outbox.drain(limit=args.batch)
            if delivering.done():
                delivering.result()  # raise here if delivery failed
                (Path(args.dir) / f"{args.replica}.delivered").write_text("ok")
            await asyncio.sleep(0.05)
    finally:
        delivering.cancel()
        await database.dispose()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--replica", required=True)
    parser.add_argument("--dir", required=True, help="shared directory: sent.log, markers")
    parser.add_argument("--events", required=True, help="JSON list of events to deliver")
    parser.add_argument("--fires", type=int, default=0, help="job fires to run")
    parser.add_argument("--lease", type=float, default=2.0)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--freeze-after", type=int, default=None)
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments, json.loads(Path(arguments.events).read_text()))))
