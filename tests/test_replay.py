"""`circlebot replay`: report shape, exact deadline times, bad lines, --until, bounded memory."""

from __future__ import annotations

import argparse
import io
import json
import tracemalloc
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import replay as replay_module
from bot.circle_config import CircleConfig
from bot.events import Event
from bot.replay import Replayer, command, parse_event, read_events, replay
from bot.replay_report import write_report
from bot.rule import RuleRegistry
from bot.settings import ProcessSettings
from bot.storage.db import Database
from rules.questions import Questions

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
QUESTION_KEYS = [
    "message",
    "channel",
    "user",
    "asked_at",
    "answered_at",
    "answered_by",
    "state",
    "close_reason",
    "nudges",
]


def event(minutes: float, kind: str = "message", **fields: Any) -> str:
    at = (START + timedelta(minutes=minutes)).isoformat()
    base = {"type": kind, "at": at, "community": "demo", "channel": "#help"}
    return json.dumps({**base, **fields})


def write(path: Path, lines: Sequence[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


HISTORY = [
    event(0, "member_joined", user="alice"),
    event(0, id="m1", user="alice", text="how do I mount a usb disk?"),
    event(5, id="m2", user="bob", text="alice: try udisksctl", mentions=["alice"]),
    event(10, id="m3", user="carol", text="why does my wifi drop every few minutes?"),
    event(11, "reaction_added", user="dave", message="m3", emoji="eyes"),
    event(60, id="m4", user="erin", text="good morning everyone"),
]


def questions_only() -> CircleConfig:
    return CircleConfig({}, RuleRegistry([Questions]), source="test")


async def run(
    tmp_path: Path, lines: Sequence[str], *, until: str | None = None
) -> tuple[dict[str, Any], Replayer, str]:
    events = write(tmp_path / "events.jsonl", lines)
    errors = io.StringIO()
    replayer = await replay(
        events,
        config=questions_only(),
        database_url=f"sqlite:///{tmp_path / 'replay.db'}",
        until=until,
        errors=errors,
    )
    report_path = tmp_path / "report.json"
    await write_report(replayer.database, report_path, prefix="replay:")
    await replayer.database.dispose()
    return json.loads(report_path.read_text(encoding="utf-8")), replayer, errors.getvalue()


async def test_report_has_questions_with_nudges_at_their_exact_times(tmp_path: Path) -> None:
    report, replayer, errors = await run(tmp_path, HISTORY, until="3h")
    assert errors == ""
    assert list(report) == ["questions", "actions"]
    answered, waiting = report["questions"]
    assert list(answered) == QUESTION_KEYS
    assert answered == {
        "message": "m1",
        "channel": "#help",
        "user": "alice",
        "asked_at": START.isoformat(),
        "answered_at": (START + timedelta(minutes=5)).isoformat(),
        "answered_by": "bob",
        "state": "answered",
        "close_reason": "answered_by_reply",
        "nudges": [],
    }
    assert (waiting["message"], waiting["state"], waiting["answered_at"]) == ("m3", "open", None)
    assert waiting["nudges"] == [  # fired between events (10:25, before m4 at 11:00) and after
        {"at": (START + timedelta(minutes=25)).isoformat(), "level": "helpers"},
        {"at": (START + timedelta(hours=2, minutes=10)).isoformat(), "level": "moderators"},
    ]
    kinds = [(a["rule"], a["action"]["kind"]) for a in report["actions"]]
    assert kinds == [
        ("questions", "reply"),  # helpers nudge on m3
        ("questions", "ephemeral"),  # the invitation to mark m1 solved
        ("questions", "notify_moderators"),
    ]
    assert all(set(a) == {"at", "rule", "action"} for a in report["actions"])
    assert report["actions"][0]["at"] == (START + timedelta(minutes=25)).isoformat()
    assert replayer.events == len(HISTORY)


async def test_bad_lines_are_reported_with_their_line_numbers_and_skipped(tmp_path: Path) -> None:
    lines = [
        HISTORY[1],
        "{not json",
        event(1, "teleported", user="x"),
        json.dumps({"type": "message", "id": "m9", "community": "demo", "channel": "c"}),
        event(2, id="m8", user="bob", text="fine"),
        json.dumps({"type": "message", "at": "yesterday", "community": "demo", "user": "u"}),
        "[1, 2]",
        "",
        event(3, id="m7", user="carol", text="x", mentions="bob"),
    ]
    report, replayer, errors = await run(tmp_path, lines)
    path = tmp_path / "events.jsonl"
    for number, reason in [
        (2, "invalid JSON"),
        (3, "unknown event type 'teleported'"),
        (4, "missing 'at'"),
        (6, "'at' is not an ISO-8601 time"),
        (7, "expected a JSON object"),
        (9, "'mentions' must be a list"),
    ]:
        assert f"{path}:{number}: skipped: {reason}" in errors
    assert replayer.events == 2
    assert [q["message"] for q in report["questions"]] == ["m1"]


@pytest.mark.parametrize(
    ("until", "levels"),
    [
        (None, []),
        ("10m", []),
        ("20m", ["helpers"]),
        ((START + timedelta(hours=3)).isoformat(), ["helpers", "moderators"]),
    ],
)
async def test_until_keeps_the_clock_running_after_the_last_event(
    tmp_path: Path, until: str | None, levels: list[str]
) -> None:
    report, _, _ = await run(tmp_path, [HISTORY[1]], until=until)
    assert [n["level"] for n in report["questions"][0]["nudges"]] == levels


async def test_the_cli_command_writes_the_report_and_draws_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = write(tmp_path / "events.jsonl", [*HISTORY, "oops"])
    config = tmp_path / "circle.yaml"
    config.write_text("questions:\n  helpers_after: 5m\n", encoding="utf-8")
    args = argparse.Namespace(
        events=str(events),
        config=str(config),
        report=str(tmp_path / "report.json"),
        until="1h",
        database=f"sqlite:///{tmp_path / 'kept.db'}",
        quiet=False,
    )
    assert await command(args, ProcessSettings(config_file=None)) == 0
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    waiting = next(q for q in report["questions"] if q["message"] == "m3")
    assert waiting["nudges"][0] == {
        "at": (START + timedelta(minutes=15)).isoformat(),
        "level": "helpers",
    }
    err = capsys.readouterr().err
    assert "100.0%" in err and "[" + "#" * 30 + "]" in err
    assert f"{events}:7: skipped: invalid JSON" in err
    assert "replayed 6 events" in err


async def test_missing_events_file_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = argparse.Namespace(
        events=str(tmp_path / "nope.jsonl"),
        config=None,
        report=str(tmp_path / "r.json"),
        until=None,
        database=None,
        quiet=True,
    )
    assert await command(args, ProcessSettings(config_file=None)) == 1
    assert "no such events file" in capsys.readouterr().err


def test_parse_event_builds_core_events_in_the_replay_community() -> None:
    message = parse_event(
        event(0, id="m1", user="al", text="hi", thread="m0", reply_to="m0", mentions=["bo"]), 1
    )
    assert message.community == "replay:demo" and message.platform == "replay"
    assert (message.at, message.user) == (START, "al")
    assert message.model_dump()["thread"] == "m0"
    reaction = parse_event(event(0, "reaction_removed", user="al", message="m1", emoji=":+1:"), 2)
    assert reaction.model_dump()["emoji"] == "+1"


async def test_streaming_keeps_memory_bounded_on_a_large_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(50_000):
            text = "x" * 200
            out.write(event(i // 40, id=f"m{i}", user=f"u{i % 97}", text=text) + "\n")
    handled: list[int] = []

    async def count_only(
        self: Any, events: Sequence[Event], *, cut: Any = None, **_: Any
    ) -> tuple[int, int]:
        for index in range(1, len(events)):
            if cut(events[index - 1], events[index]):
                handled.append(index)
                return index, index
        handled.append(len(events))
        return len(events), len(events)

    monkeypatch.setattr(replay_module.Engine, "handle_prefix", count_only)
    database = Database(f"sqlite:///{tmp_path / 'big.db'}")
    await database.upgrade()
    replayer = Replayer(database=database, config=questions_only(), start=START)
    tracemalloc.start()
    try:
        await replayer.run(read_events(path, io.StringIO()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await database.dispose()
    assert sum(handled) == 50_000
    assert max(handled) == replay_module.BATCH_LIMIT  # batches span times, never the whole file
    assert peak < 4_000_000  # the file is ~12 MB; streaming holds one batch at a time
