"""A scripted console session: `circlebot run` fed by piped stdin, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

CONFIG = """\
community:
  name: Console Circle
  moderators_channel: mods
  intro_channel: intro
  welcome_channel: welcome
"""

SCRIPT = """\
/join bob
Hi all, cheap SEO at https://spam.example
/as host
/circle held
/circle approve H1
/join ann
see `https://example.com` in code
/quit
"""


def test_welcome_hold_and_approve_in_the_console(tmp_path: Path) -> None:
    config = tmp_path / "circle.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIRCLEBOT_")}
    env.update(
        CIRCLEBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}",
        CIRCLEBOT_CONFIG_FILE=str(config),
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        input=SCRIPT,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # a welcome on /join, in the welcome channel, with the norms and the intro invitation
    assert "bot → #welcome:\n      Welcome to Console Circle, @bob!" in out
    assert "say hello in #intro" in out
    # the new member's link post is hidden, explained to them, and queued for the moderators
    assert "bot hid [2] in #general (kept for review)" in out
    assert "bot → DM → @bob:\n      Hi bob! I've held your message in #general" in out
    assert "bot → #mods:\n      Held H1 from @bob in #general: links (spam.example)" in out
    assert "[Approve H1: /circle approve H1]  [Reject H1: /circle reject H1]" in out
    # the host (a platform admin in the console) lists the queue and approves
    assert "• H1 · @bob in #general · links" in out
    assert "bot → #general:\n      Posted by @bob, approved by a moderator:\n      Hi all" in out
    assert "Good news, bob! A moderator approved your message" in out
    assert "Approved H1: re-posted in #general" in out
    # a URL in inline code from another newcomer is not held
    assert "bot hid [" not in out.split("see `https://example.com` in code")[1]
    assert out.count("Held H") == 1
    assert "Traceback" not in result.stderr
