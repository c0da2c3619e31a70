"""SIGTERM on a running replica: stop taking events, drain the outbox, release claims, exit 0."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import select, update

from bot.actions import Post
from bot.clock import SystemClock
from bot.outbox import enqueue
from bot.storage import repos
from bot.storage.db import Database
from bot.storage.models import Deadline, OutboxEntry

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("runtime_worker.py")
REPLICA = "rt-1"
QUEUED = 30
COMMUNITY = "test:circle"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def seed(db: Database) -> None:
    """Actions waiting to be sent, and work this replica claimed but has not started."""
    now = SystemClock().now()
    async with db.session() as session:
        for index in range(QUEUED):
            action = Post(community=COMMUNITY, channel="general", text=f"queued {index}")
            await enqueue(session, key=f"q{index}", rule=None, action=action, now=now)
        later = Post(community=COMMUNITY, channel="general", text="retry later")
        await enqueue(session, key="later", rule=None, action=later, now=now + timedelta(hours=1))
        deadlines = repos.Deadlines(session, community=COMMUNITY, rule="echo")
        await deadlines.set("tomorrow", now + timedelta(days=1), {"channel": "general"})
    async with db.session() as session:
        claim = {"claimed_by": REPLICA, "claimed_until": now + timedelta(hours=1)}
        await session.execute(update(OutboxEntry).where(OutboxEntry.key == "later").values(claim))
        await session.execute(update(Deadline).values(claim))


def launch(env: dict[str, str], directory: Path) -> subprocess.Popen[bytes]:
    stderr = (directory / "stderr.log").open("wb")
    command = [sys.executable, str(WORKER), str(directory / "sent.log")]
    return subprocess.Popen(command, env=env, stderr=stderr, cwd=ROOT)


async def wait_ready(port: int, proc: subprocess.Popen[bytes]) -> str:
    """Poll /readyz until it answers 200; return the /metrics text."""
    give_up = time.monotonic() + 60
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < give_up:
            assert proc.poll() is None, "the replica exited early"
            try:
                async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                    if response.status == 200:
                        async with http.get(f"http://127.0.0.1:{port}/metrics") as metrics:
                            return await metrics.text()
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the replica never became ready")


async def test_sigterm_drains_the_outbox_releases_claims_and_exits_0(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    await db.upgrade()
    await seed(db)
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CIRCLEBOT_DATABASE_URL": database_url,
        "CIRCLEBOT_HTTP_HOST": "127.0.0.1",
        "CIRCLEBOT_HTTP_PORT": str(port),
        "CIRCLEBOT_REPLICA_ID": REPLICA,
        "CIRCLEBOT_LOG_FORMAT": "json",
    }
    proc = launch(env, tmp_path)
    try:
        metrics = await wait_ready(port, proc)  # it is sending by now, 0.1 s per action
        proc.send_signal(signal.SIGTERM)  # mid-drain
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "circlebot_outbox_depth" in metrics
    sent = (tmp_path / "sent.log").read_text().splitlines()
    assert sorted(sent) == sorted(f"queued {i}" for i in range(QUEUED))  # all, once each
    async with db.session() as session:
        outbox = (await session.scalars(select(OutboxEntry))).all()
        deadlines = (await session.scalars(select(Deadline))).all()
    await db.dispose()
    assert [(row.key, row.status) for row in outbox if row.status != "sent"] == [
        ("later", "pending")
    ]
    assert all(row.claimed_by is None for row in outbox)  # handed back to the other replicas
    assert [(d.key, d.claimed_by) for d in deadlines] == [("tomorrow", None)]
    records = [json.loads(line) for line in (tmp_path / "stderr.log").read_text().splitlines()]
    assert any(f"replica {REPLICA} serving test" in r["message"] for r in records)
    assert not [r for r in records if r["level"] in ("ERROR", "CRITICAL")]
