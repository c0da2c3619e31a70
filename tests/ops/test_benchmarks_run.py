"""Every benchmark `make bench` runs still starts, and the cheap ones finish a tiny run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from run_all import BENCHMARKS as LISTED  # noqa: E402


def _run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("script", sorted({script for script, _, _ in LISTED}))
def test_each_benchmark_imports_and_explains_itself(script: str) -> None:
    done = _run(script, "--help")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout


@pytest.mark.parametrize(
    ("script", "args"),
    [
        ("core_throughput.py", ["--events", "300"]),
        ("outbox_drain.py", ["--actions", "20", "--rounds", "1"]),
        ("growth.py", ["--quick", "--repeat", "1"]),
    ],
)
def test_small_benchmark_runs_print_their_figures(script: str, args: list[str]) -> None:
    done = _run(script, *args)
    assert done.returncode in (0, 1), done.stderr[-2000:]  # 1: a target was missed
    results = [
        json.loads(line[len("RESULT ") :])
        for line in done.stdout.splitlines()
        if line.startswith("RESULT ")
    ]
    assert results and all(isinstance(r["value"], int | float) for r in results)
