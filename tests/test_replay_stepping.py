"""Replay batches span timestamps: deadlines due between events run inside the batch."""

from __future__ import annotations

import importlib.util
import io
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from bot import replay as replay_module
from bot.actions import Action, Post
from bot.circle_config import CircleConfig
from bot.clock import SimulatedClock
from bot.context import DueItem, RuleContext
from bot.engine import Engine
from bot.events import Event, MessagePosted
from bot.replay import Replayer, replay
from bot.replay_report import write_report
from bot.rule import Rule, RuleRegistry, default_registry
from bot.storage.db import Database
from rules.questions import Questions

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def line(minutes: float, kind: str = "message", community: str = "demo", **fields: Any) -> str:
    at = (START + timedelta(minutes=minutes)).isoformat()
    base = {"type": kind, "at": at, "community": community, "channel": "#help"}
    return json.dumps({**base, **fields})


def synthetic() -> ModuleType:
    spec = importlib.util.spec_from_file_location("synthetic", ROOT / "benchmarks/synthetic.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def run(
    tmp_path: Path, lines: list[str], config: CircleConfig, *, name: str, until: str | None
) -> tuple[dict[str, Any], Replayer]:
    events = tmp_path / f"{name}.jsonl"
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    replayer = await replay(
        events,
        config=config,
        database_url=f"sqlite:///{tmp_path / name}.db",
        until=until,
        errors=io.StringIO(),
    )
    report = tmp_path / f"{name}.json"
    await write_report(replayer.database, report, prefix="replay:")
    await replayer.database.dispose()
    return json.loads(report.read_text(encoding="utf-8")), replayer


def questions_config(text: str = "") -> CircleConfig:
    return CircleConfig(yaml.safe_load(text) or {}, RuleRegistry([Questions]), source="test")


async def test_a_deadline_set_inside_a_batch_fires_before_the_later_event(tmp_path: Path) -> None:
    lines = [
        line(0, id="q1", user="alice", text="how do I mount a usb disk?"),
        line(1, id="c1", user="bob", text="good morning"),
        line(2, id="c2", user="carol", text="coffee time"),
        line(3, id="c3", user="dave", text="the build is green again"),
        line(10, id="a1", user="erin", text="alice: udisksctl mount -b /dev/sdb1"),
    ]
    config = questions_config("questions:\n  helpers_after: 5m\n")
    report, replayer = await run(tmp_path, lines, config, name="inside", until=None)
    (question,) = report["questions"]
    # the T1 deadline (set by q1, due 10:05) ran before the reply at 10:10 was handled: the
    # question was still open then, so it was nudged, and only later answered by erin
    assert question["nudges"] == [
        {"at": (START + timedelta(minutes=5)).isoformat(), "level": "helpers"}
    ]
    assert question["answered_by"] == "erin"
    assert question["answered_at"] == (START + timedelta(minutes=10)).isoformat()
    assert report["actions"][0]["at"] == (START + timedelta(minutes=5)).isoformat()
    # five timestamps went in one batch: the deadline ran inside it, before the reply
    assert (replayer.events, replayer.batches) == (5, 1)


EDGE_CASES = [
    # a step back in time (handled at the clock's time), a duplicate id across a cut, events
    # sharing a timestamp with a due deadline, a second community in the middle of a batch
    line(0, id="q1", user="alice", text="why does my wifi drop every few minutes?"),
    line(4, id="c1", user="bob", text="morning all"),
    line(5, id="q2", user="carol", text="how do I install docker on ubuntu?"),
    line(5, id="c2", user="dave", text="lunch?"),
    line(15, id="c3", user="erin", text="anyone seen the new release"),
    line(15, id="c4", user="frank", text="yes, nice"),
    line(12, id="c5", user="gina", text="late line from a lagging bridge"),
    line(16, id="q1", user="alice", text="duplicate of q1"),
    line(17, id="q3", user="hank", text="where are the logs kept?", community="other"),
    line(18, id="a2", user="ivan", text="carol: apt install docker.io", reply_to="q2"),
    line(40, "reaction_added", user="alice", message="a2", emoji="white_check_mark"),
    line(41, id="c6", user="bob", text="bye"),
]


async def per_event_and_spanning(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lines: list[str],
    config: CircleConfig,
    until: str | None,
) -> tuple[dict[str, Any], dict[str, Any], Replayer]:
    spanning, replayer = await run(tmp_path, lines, config, name="spanning", until=until)
    with monkeypatch.context() as patch:
        patch.setattr(replay_module, "BATCH_LIMIT", 1)  # one event per batch: the old stepping
        one_by_one, single = await run(tmp_path, lines, config, name="single", until=until)
    assert single.batches == single.events == replayer.events
    return spanning, one_by_one, replayer


async def test_edge_cases_give_the_same_report_as_one_event_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = questions_config("questions:\n  helpers_after: 5m\n")
    spanning, one_by_one, replayer = await per_event_and_spanning(
        tmp_path, monkeypatch, EDGE_CASES, config, "3h"
    )
    assert spanning == one_by_one
    assert replayer.events == len(EDGE_CASES)
    assert {q["message"] for q in spanning["questions"]} >= {"q1", "q2", "q3"}
    assert any(q["nudges"] for q in spanning["questions"])


async def test_synthetic_community_gives_the_same_report_as_one_event_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [json.dumps(r) for r in synthetic().records(900, seed=11)]
    config = CircleConfig({}, default_registry(), source="test")  # every rule on its defaults
    spanning, one_by_one, replayer = await per_event_and_spanning(
        tmp_path, monkeypatch, lines, config, "2h"
    )
    assert spanning == one_by_one
    nudges = sum(len(q["nudges"]) for q in spanning["questions"])
    assert nudges > 5 and len(spanning["actions"]) > nudges  # deadlines really ran in between
    assert replayer.batches < replayer.events / 4  # and batches really spanned timestamps


def message(at: datetime, message_id: str) -> Event:
    return MessagePosted(
        platform="replay",
        community="replay:demo",
        event_id=f"message:{message_id}",
        at=at,
        user="u1",
        channel="c",
        message_id=message_id,
        text="hello",
    )


async def test_handle_prefix_stops_at_the_cut_and_the_rest_is_not_taken_as_seen(
    tmp_path: Path,
) -> None:
    database = Database(f"sqlite:///{tmp_path / 'cut.db'}")
    await database.upgrade()
    clock = SimulatedClock(START)
    engine = Engine(database=database, config=questions_config(), clock=clock)
    events = [message(START + timedelta(seconds=i), f"m{i % 150}") for i in range(200)]
    asked: list[int] = []

    def cut(previous: Event, event: Event) -> bool:
        asked.append(events.index(event))
        return event.at >= START + timedelta(seconds=100)

    try:
        consumed, new = await engine.handle_prefix(events, send=False, advance=clock.set, cut=cut)
        assert (consumed, new, asked[0], asked[-1]) == (100, 100, 1, 100)
        assert clock.now() == START + timedelta(seconds=99)
        # the events after the cut were recorded in the inbox chunk but forgotten again: offered
        # anew, m100..m149 are new, m150.. repeat m0..m49 (duplicates of handled events)
        consumed, new = await engine.handle_prefix(events[consumed:], send=False)
        assert (consumed, new) == (100, 50)
        assert await engine.handle_batch(events, send=False) == 0
    finally:
        await database.dispose()


class Remind(Rule):
    """Reminds of a message starting with `remind` five minutes on; `bad` reminders raise."""

    name = "remind"
    handles = (MessagePosted,)

    async def on_event(self, event: Event, ctx: RuleContext) -> list[Action]:
        assert isinstance(event, MessagePosted)
        if event.text.startswith("remind"):
            await ctx.deadlines.set(event.text, ctx.now + timedelta(minutes=5))
        return []

    async def on_due(self, item: DueItem, ctx: RuleContext) -> list[Action]:
        if "bad" in item.key:
            raise RuntimeError("this reminder's rule is broken on purpose")
        return [Post(community=item.community, channel="#help", text=f"{item.key} {ctx.now}")]


async def test_a_deadline_failing_inside_a_batch_leaves_the_same_report_as_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    lines = [line(0, id="r1", user="alice", text="remind one")]
    lines += [line(1, id="r2", user="bob", text="remind bad")]
    lines += [line(2, id="r3", user="carol", text="remind three")]
    lines += [line(3 + n, id=f"c{n}", user="dave", text=f"chat {n}") for n in range(30)]
    config = CircleConfig({}, RuleRegistry([Questions, Remind]), source="test")
    with caplog.at_level(logging.INFO, logger="bot.replay"):
        spanning, one_by_one, replayer = await per_event_and_spanning(
            tmp_path, monkeypatch, lines, config, None
        )
    assert "a deadline failed inside a replay batch" in caplog.text
    assert spanning == one_by_one
    texts = [action["action"]["text"] for action in spanning["actions"]]
    # the good reminders were sent at their own times; the broken one is still retried later
    assert texts == [
        f"remind one {START + timedelta(minutes=5)}",
        f"remind three {START + timedelta(minutes=7)}",
    ]
    # (the broken one fails again whenever its lease runs out, each time in a cutting batch)
    assert replayer.events == len(lines)
