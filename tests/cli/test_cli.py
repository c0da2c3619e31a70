"""The `circlebot` command end to end: config checks, database errors, a scripted console."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def circlebot(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CIRCLEBOT_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd or ROOT,
        timeout=120,
        check=False,
    )


def test_check_config_accepts_the_example() -> None:
    result = circlebot("check-config", str(ROOT / "deploy" / "circle.example.yaml"))
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


def test_check_config_names_every_problem_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "circle.yaml"
    bad.write_text("community:\n  timezone: Mars/Base\n  moderatorz: {}\nquestionz: {}\n")
    result = circlebot("check-config", str(bad))
    assert result.returncode == 2
    assert "community.timezone: unknown timezone 'Mars/Base'" in result.stderr
    assert "community.moderatorz: unknown key" in result.stderr
    assert "questionz: unknown section" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_on_a_missing_file(tmp_path: Path) -> None:
    result = circlebot("check-config", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and "cannot read" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_environment_is_a_clear_error() -> None:
    result = circlebot("check-config", "x.yaml", env={"CIRCLEBOT_HTTP_PORT": "not-a-port"})
    assert result.returncode == 2 and "CIRCLEBOT_HTTP_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_database_in_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'c.db'}"
    result = circlebot("run", stdin="hello\n", env={"CIRCLEBOT_DATABASE_URL": url})
    assert result.returncode == 3
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_postgres_is_a_clear_error() -> None:
    env = {"CIRCLEBOT_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"}
    result = circlebot("db", "upgrade", env=env)
    assert result.returncode == 3
    assert "cannot use the database" in result.stderr and "Traceback" not in result.stderr


def test_db_upgrade_on_sqlite(tmp_path: Path) -> None:
    result = circlebot(
        "db", "upgrade", env={"CIRCLEBOT_DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}
    )
    assert result.returncode == 0 and "up to date" in result.stdout


SCRIPT = """\
/help
hello everyone
/in random
is there a guide for the meetup?
/thread 2 see the wiki!
/react 2 ✅
/join bea
/quote 9 nope
/reply 99 hi
/as host
/circle help
/circle nosuchthing
/wait 90 minutes
/wait 1h
/who
"""


def test_scripted_console_session(tmp_path: Path) -> None:
    env = {"CIRCLEBOT_DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}
    result = circlebot("run", stdin=SCRIPT, env=env)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Console commands" in out
    assert "[1] #general host: hello everyone" in out
    assert "(now in #random)" in out
    assert "[2] #random host: is there a guide for the meetup?" in out
    assert "#random › thread [2] host: see the wiki!" in out
    assert "* host reacted :white_check_mark: to [2]" in out
    assert "* bea joined the community" in out
    assert "unknown console command /quote" in out
    assert "no message number '99'" in out
    assert "circlebot commands:" in out
    assert "I don't know `/circle nosuchthing`" in out
    assert "/wait 90 minutes: invalid duration" in out
    assert "⏱" in out and "members: host, bea" in out
    assert out.rstrip().endswith("bye.")
    assert "Traceback" not in result.stderr
