"""Measure answer tracking and nudges through the real `circlebot replay` core on the #ubuntu logs.

Usage: ``.venv/bin/python benchmarks/answer_tracking.py [--split dev|train|all] [--data DIR]``
(``CIRCLEBOT_BENCH_QUESTIONS="merge_window: 0s"`` adds settings to the questions section, for
trying a setting without editing code.)

Data: ``shared/data/irc-ubuntu`` (Kummerfeld et al., ACL 2019, Ubuntu IRC logs, CC-BY-4.0).
Each ``STEM.events.jsonl`` is replayed with ``bot.replay.command`` (exactly what
``circlebot replay FILE --report R`` runs: engine, storage, deadlines on a simulated clock) with
every rule but ``questions`` switched off and the questions rule on its defaults (T1 = 15 min);
the figures are computed from the JSON report and the gold reply links, which the bot never sees.

Definitions (shared with ``benchmarks/question_heuristics.py``, whose helpers are imported, so
"asks something", "answered" and "conversation" mean the same in both benchmarks):

- *annotated*: messages with a gold row (line 1000 onward); *evaluable*: ``at + T1`` is not after
  the file's last annotated message. Only annotated, evaluable messages are scored.
- *answered detection*: a tracked question with ``answered_at`` by ``asked_at + T1`` is *right*
  when a message by another non-bot member reachable from it through gold ``reply_to`` links was
  posted by ``answered_at`` (the data README's answered test). Recall: of tracked questions
  gold-answered by T1, the share the bot saw answered by T1.
- *nudge precision*: a ``helpers`` (T1) nudge is right when no other non-bot member had posted in
  the question's gold conversation after it, by the nudge time.
- *nudge recall*: of conversation openers (gold ``reply_to`` empty, human) that *ask something*
  (``question_heuristics.asks_something``: the opener or its author's messages in the same gold
  conversation within 2 minutes contain ``?``/``¿`` outside URLs or an explicit help phrase; a
  fixed list independent of the detector) and are gold-unanswered at ``at + T1``, the share the
  bot nudged (at the opener or at one of those follow-up messages). A message that is only a
  presence ping or greeting ('hi ?', 'You there?', 'nick: still around?', '??': every word in
  the fixed ``PRESENCE_WORDS`` list once a leading 'nick:' and URLs are dropped) asks nothing,
  whatever its '?': it asks whether someone is there, which a reply settles without help, and a
  person reading the log would not call it a question for the circle. The figure under the first
  definition (any '?' counted) is printed too as "legacy label".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from question_heuristics import (  # noqa: E402
    DEFAULT_DATA,
    FOLLOW,
    Log,
    asks_something,
    gold_answered_by,
    load,
    other_reply_by,
)
from report import emit  # noqa: E402

from bot import replay  # noqa: E402
from bot.rule import default_registry  # noqa: E402
from bot.settings import ProcessSettings  # noqa: E402

T1 = timedelta(minutes=15)


def only_questions_config(path: Path) -> None:
    """A circle.yaml with every rule but `questions` switched off."""
    names = [n for n in default_registry().names() if n != "questions"]
    extra = os.environ.get("CIRCLEBOT_BENCH_QUESTIONS", "")
    text = "".join(f"{name}:\n  enabled: false\n" for name in names)
    if extra:
        text += f"questions: {{{extra}}}\n"
    path.write_text(text, encoding="utf-8")


async def replay_file(events: Path, scratch: Path) -> dict[str, Any]:
    """Run the replay command on one file and return its report."""
    config = scratch / "circle.yaml"
    only_questions_config(config)
    report = scratch / f"{events.stem}.report.json"
    args = argparse.Namespace(
        events=str(events),
        config=str(config),
        report=str(report),
        until="1h",
        database=None,
        quiet=True,
    )
    code = await replay.command(args, ProcessSettings(config_file=None))
    if code != 0:
        raise SystemExit(f"replay of {events} failed with exit code {code}")
    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return data


def score(log: Log, report: dict[str, Any], tally: dict[str, int]) -> None:
    """Add one file's figures to the tally."""
    assert log.last_at is not None
    last_at = log.last_at
    tracked = {q["message"]: q for q in report["questions"]}
    tally["tracked"] += len(tracked)
    for mid, q in tracked.items():
        if mid not in log.gold:
            continue
        asked = datetime.fromisoformat(q["asked_at"])
        if asked + T1 > last_at:
            continue
        tally["tracked_evaluable"] += 1
        deadline = asked + T1
        answered_at = datetime.fromisoformat(q["answered_at"]) if q["answered_at"] else None
        gold = gold_answered_by(log, mid, deadline)
        tally["gold_answered"] += gold
        if answered_at is not None and answered_at <= deadline:
            tally["signals"] += 1
            tally["signals_right"] += gold_answered_by(log, mid, answered_at)
            tally["answered_found"] += gold
        for nudge in q["nudges"]:
            if nudge["level"] != "helpers":
                continue
            at = datetime.fromisoformat(nudge["at"])
            tally["nudges"] += 1
            tally["nudges_right"] += not other_reply_by(log, mid, at)
    for line in log.lines:
        if line.id not in log.gold or log.gold[line.id] or line.is_bot:
            continue
        if line.at + T1 > last_at:
            continue
        start = log.index[line.id]
        comp = log.component.get(line.id)
        follow = [
            ln
            for ln in log.lines[start : start + 40]
            if ln.user == line.user
            and ln.at <= line.at + FOLLOW
            and log.component.get(ln.id) == comp
        ]
        texts = [ln.text for ln in follow]
        asks, asks_legacy = asks_something(texts), asks_something(texts, legacy=True)
        if not (asks or asks_legacy) or gold_answered_by(log, line.id, line.at + T1):
            continue
        nudged = any(
            any(n["level"] == "helpers" for n in tracked[ln.id]["nudges"])
            for ln in follow
            if ln.id in tracked
        )
        if asks:
            tally["need_nudge"] += 1
            tally["need_nudge_nudged"] += nudged
        if asks_legacy:
            tally["need_nudge_legacy"] += 1
            tally["need_nudge_nudged_legacy"] += nudged


def ratio(num: int, den: int) -> str:
    return f"{num / den:.3f} ({num}/{den})" if den else "n/a (0/0)"


async def run_split(data: Path, split: str) -> int:
    paths = sorted((data / split).glob("*.events.jsonl"))
    if not paths:
        print(f"no events files under {data / split}", file=sys.stderr)
        return 1
    tally: dict[str, int] = defaultdict(int)
    with tempfile.TemporaryDirectory(prefix="answer-tracking-") as scratch:
        for path in paths:
            report = await replay_file(path, Path(scratch))
            score(load(path), report, tally)
    rows = [
        ("questions tracked (all lines)", str(tally["tracked"])),
        ("  annotated and evaluable", str(tally["tracked_evaluable"])),
        ("  gold-answered by T1", str(tally["gold_answered"])),
        ("answered detection precision", ratio(tally["signals_right"], tally["signals"])),
        ("answered detection recall", ratio(tally["answered_found"], tally["gold_answered"])),
        ("nudge precision (T1 helpers nudges)", ratio(tally["nudges_right"], tally["nudges"])),
        ("nudge recall", ratio(tally["need_nudge_nudged"], tally["need_nudge"])),
        (
            "nudge recall (legacy label: any '?')",
            ratio(tally["need_nudge_nudged_legacy"], tally["need_nudge_legacy"]),
        ),
    ]
    print(f"== split: {split}  files: {len(paths)}  T1: 15 min  (through circlebot replay)")
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label.ljust(width)}  {value}")
    print()
    name = f"answer tracking ({split})"
    figures = [
        ("answered precision", "signals_right", "signals", None),
        ("answered recall", "answered_found", "gold_answered", None),
        ("nudge precision", "nudges_right", "nudges", 0.90),
        ("nudge recall", "need_nudge_nudged", "need_nudge", 0.85),
    ]
    for metric, num, den, target in figures:
        if tally[den]:
            value = tally[num] / tally[den]
            met = None if target is None or split != "dev" else value >= target
            emit(name, metric, value, target=f">= {target}" if target else "", ok=met)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--split", choices=["dev", "train", "all"], default="dev")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    splits = ["dev", "train"] if args.split == "all" else [args.split]
    for split in splits:
        code = asyncio.run(run_split(args.data, split))
        if code:
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
