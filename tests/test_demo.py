"""`circlebot demo --fast` in a subprocess: every labelled step shows its effect."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _steps(output: str) -> dict[int, str]:
    parts = re.split(r"^=== Step (\d+): ", output, flags=re.MULTILINE)
    return {int(parts[i]): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_demo_shows_every_norm_at_work(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--fast"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CIRCLEBOT_LOG_LEVEL": "WARNING"},
    )
    assert done.returncode == 0, done.stderr
    steps = _steps(done.stdout)
    assert sorted(steps) == [1, 2, 3, 4, 5, 6]
    welcome, held, nudged, solved, prompt, digest = (steps[n] for n in range(1, 7))
    assert "newcomer" in welcome and "Welcome to the demo circle, @maya!" in welcome
    assert "bot hid [" in held and "kept for review" in held
    assert "DM → @quickgains" in held and "Held H1 from @quickgains" in held
    assert "nudged" in nudged and "still looking for an answer" in nudged
    assert "that worked!" in solved and "No unanswered questions" in solved
    assert "Open question for the circle:" in prompt and "15:01" in prompt
    assert "bot → #mods:" in digest and "Circle digest (daily), Sat 28 Nov 2026" in digest
    assert "1 asked, 1 answered, 1 solved" in digest
    assert "@maya joined and introduced themselves" in digest
    assert "H1 @quickgains" in digest and "1 reply from 1 member" in digest
    assert "Traceback" not in done.stdout + done.stderr
