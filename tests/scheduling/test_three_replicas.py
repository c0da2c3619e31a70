"""Three real processes share one PostgreSQL database: every scheduled fire runs exactly once."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.storage.db import Database
from tests.conftest import reset_postgres
from tests.harness import postgres_url
from tests.scheduling.replica_worker import expected_fires

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def _fresh_database(url: str) -> None:
    await reset_postgres(url)
    database = Database(url)
    await database.upgrade()
    await database.dispose()


def test_each_fire_runs_exactly_once_across_three_processes() -> None:
    url = postgres_url()
    if url is None:
        pytest.skip("CIRCLEBOT_TEST_POSTGRES_URL is not set")
    asyncio.run(_fresh_database(url))
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.scheduling.replica_worker", url, f"replica-{n}"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        start_at = time.time() + 0.5  # all three start firing at the same instant
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write(f"go {start_at}\n")
            worker.stdin.flush()
        reports = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
            reports.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    expected = expected_fires()
    ran = Counter(tuple(item) for report in reports for item in report["ran"])
    # 72 twenty-minute slots less the 3 repeated by fall-back, plus the 02:30 and 09:00 jobs
    assert len(expected) == 71
    assert set(ran) == set(expected)
    assert set(ran.values()) == {1}  # exactly once in total
    assert sum(len(r["rule_runs"]) for r in reports) == len(expected)  # the rule ran once per fire
    assert sum(1 for r in reports if r["ran"]) >= 2  # the work really was shared
