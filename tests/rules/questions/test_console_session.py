"""A scripted console session: `circlebot run` on piped stdin nudges, then sees the answer."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

SCRIPT = """\
/as alice
how do I mount a usb disk?
/as host
/circle unanswered
/wait 20m
/as bob
/thread 1 try udisksctl mount -b /dev/sdb1
/as host
/circle unanswered
/quit
"""


def test_console_question_is_nudged_after_wait_then_answered(tmp_path: Path) -> None:
    database = tmp_path / "console.db"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CIRCLEBOT_") or key == "CIRCLEBOT_TEST_POSTGRES_URL"
    }
    env["CIRCLEBOT_DATABASE_URL"] = f"sqlite:///{database}"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--console"],
        input=SCRIPT,
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[3],
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    asked = out.index("alice: how do I mount a usb disk?")
    waited = out.index("> /wait 20m")
    nudge = out.index("This question from alice is still looking for an answer")
    answer = out.index("bob: try udisksctl mount")
    assert asked < waited < nudge < answer
    assert "Q1 · #general · alice" in out[asked:waited]
    assert "No unanswered questions" in out[answer:]
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT state, answered_by, close_reason FROM questions").fetchall()
    assert rows == [("answered", "bob", "answered_by_reply")]
