"""List the nudge misses and wrong nudges of answer_tracking.py, with context and reasons.

Usage: ``.venv/bin/python benchmarks/answer_misses.py [--split dev|train] [--data DIR]``

Replays each file exactly as ``benchmarks/answer_tracking.py`` does (same config, same scoring
definitions, imported from it), with the questions rule traced in-process: for every message,
why it opened no question (``_opens``' steps, or the line answered another question first), and
for every tracked question what stopped it (the line, member and kind of the answer signal, the
thanks / "solved" line, the withdrawal). Then it prints:

- each *missed* opener (asks something, gold-unanswered at T1, not nudged), with the lines
  around it, the gold conversation of each line (``*`` = the opener's conversation) and a
  one-word cause (``untracked:<step>``, ``answered:<kind>``, ``solved``, ``withdrawn``);
- each *wrong* nudge (another member had posted in the gold conversation by the nudge), with
  those replies and why none of them gave an answer signal.

A diagnostic only: it changes no figure's definition.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from answer_tracking import T1, replay_file  # noqa: E402
from question_heuristics import (  # noqa: E402
    DEFAULT_DATA,
    FOLLOW,
    Log,
    asks_something,
    gold_answered_by,
    load,
    other_reply_by,
)

from bot.events import MessagePosted  # noqa: E402
from bot.text import exchange  # noqa: E402
from bot.text.addressing import addressed_users, nick_key  # noqa: E402
from bot.text.exchange import ChatLine, OpenQuestion  # noqa: E402
from bot.text.questions import question_score  # noqa: E402
from rules.questions import rule as qrule  # noqa: E402
from rules.questions import tracking  # noqa: E402


@dataclass
class Trace:
    """What the rule did, by message id."""

    current: str | None = None
    not_opened: dict[str, str] = field(default_factory=dict)
    opens_called: set[str] = field(default_factory=set)
    stopped: dict[str, str] = field(default_factory=dict)
    stopped_by: dict[str, str] = field(default_factory=dict)
    no_signal: dict[tuple[str, str], str] = field(default_factory=dict)
    filtered: dict[tuple[str, str], str] = field(default_factory=dict)


TRACE = Trace()


async def _why_not(
    ctx: Any,
    event: MessagePosted,
    line: ChatLine,
    mine: Sequence[Any],
    recent: Sequence[ChatLine],
    settings: Any,
) -> str:
    """The first step of `Questions._opens` that said no (mirrors its order)."""
    if question_score(event.text) < settings.min_score:
        return f"score {question_score(event.text):.2f}"
    if qrule.SUGGESTION_RE.search(line.text):
        return "suggestion"
    for row in mine:
        if row.state != "open" or event.at - row.asked_at > settings.merge_window:
            continue
        if not qrule._others_spoke_since(recent, asker=event.user, message_id=row.message_id):
            return f"merged into {row.message_id}"
    speakers = {r.user for r in recent}
    addressed = set(addressed_users(line.text, mentions=line.mentions, known_users=speakers))
    if addressed - {line.user}:
        return f"addressed to {sorted(addressed - {line.user})}"
    if qrule._starts_with_a_nick(line.text):
        return "starts with a nick"
    if exchange.is_follow_up_in_exchange(line, recent, window=settings.exchange_window):
        return "follow-up in exchange: " + _follow_up_clause(line, recent, settings.exchange_window)
    return "helper (helped_since)"


def _follow_up_clause(line: ChatLine, recent: Sequence[ChatLine], window: Any) -> str:
    """Which clause of `is_follow_up_in_exchange` fired, and on which earlier line."""
    earlier = [r for r in recent if r.id != line.id and not r.is_bot and line.at - window <= r.at]
    author = nick_key(line.user)
    speakers = {r.user for r in earlier if nick_key(r.user) != author}
    addressed = {
        nick_key(n)
        for n in addressed_users(line.text, mentions=line.mentions, known_users=speakers)
    } - {author}
    everyone = exchange.NickIndex(speakers | {line.user})
    for r in earlier:
        targets = {
            nick_key(n) for n in addressed_users(r.text, mentions=r.mentions, known_users=everyone)
        }
        speaker = nick_key(r.user)
        if speaker != author and author in targets:
            if speaker in addressed:
                return f"addresses {r.user} who addressed them: <{r.user}> {r.text[:70]}"
            if line.at - r.at <= exchange.BEING_HELPED:
                return f"being helped: <{r.user}> {r.text[:70]}"
        if speaker == author and addressed & targets:
            return f"addresses their partner: <{r.user}> {r.text[:70]}"
    return "reply/thread"


def install() -> None:
    """Wrap the rule's decision points so they report into TRACE."""
    original_message = qrule.Questions._message
    original_opens = qrule.Questions._opens
    original_find = qrule.find_answers
    original_helping = qrule._helping
    original_answered = tracking.mark_answered
    original_solved = tracking.mark_solved
    original_close = tracking.close

    async def message(self: Any, event: MessagePosted, ctx: Any) -> Any:
        TRACE.current = event.message_id
        try:
            return await original_message(self, event, ctx)
        finally:
            if event.message_id not in TRACE.opens_called:
                TRACE.not_opened.setdefault(event.message_id, "answered another question")
            TRACE.current = None

    async def opens(
        self: Any,
        ctx: Any,
        event: MessagePosted,
        line: ChatLine,
        mine: Sequence[Any],
        recent: Sequence[ChatLine],
        settings: Any,
        *,
        asks: bool,
    ) -> bool:
        TRACE.opens_called.add(event.message_id)
        result = await original_opens(self, ctx, event, line, mine, recent, settings, asks=asks)
        if not result:
            TRACE.not_opened[event.message_id] = await _why_not(
                ctx, event, line, mine, recent, settings
            )
        return result

    def find(
        line: ChatLine, open_questions: Sequence[OpenQuestion], **kwargs: Any
    ) -> list[exchange.AnswerSignal]:
        signals = original_find(line, open_questions, **kwargs)
        answered = {s.question_id for s in signals}
        known = exchange.nick_index(kwargs["known_users"])
        recent = kwargs.get("recent", ())
        targets = {
            nick_key(n)
            for n in addressed_users(line.text, mentions=line.mentions, known_users=known)
        }
        for q in open_questions:
            if q.id in answered or line.at < q.at:
                continue
            asker = nick_key(q.asker)
            if nick_key(line.user) != asker and asker in targets:
                if exchange.is_own_request(line.text):
                    why = "own request"
                elif exchange._answers_other_turn(line, q, recent, known):
                    why = "takes up the asker's turn"
                else:
                    why = "group / other place / window"
                TRACE.no_signal[(line.id, q.id)] = why
        return signals

    def helping(signal: Any, row: Any, helped: Any) -> bool:
        result: bool = original_helping(signal, row, helped)
        if result:
            TRACE.filtered[(TRACE.current or "?", signal.question_id)] = (
                f"{signal.kind} by {signal.answered_by} filtered (_helping)"
            )
        return result

    def recorder(
        kind: str, original: Callable[..., Awaitable[None]]
    ) -> Callable[..., Awaitable[None]]:
        async def wrapped(ctx: Any, row: Any, **kwargs: Any) -> None:
            live = row.state in ("open", "answered") if kind != "answered" else row.state == "open"
            if live and row.message_id not in TRACE.stopped:
                detail = {k: v for k, v in kwargs.items() if k in ("by", "kind", "reason")}
                TRACE.stopped[row.message_id] = f"{kind} {detail}"
                TRACE.stopped_by[row.message_id] = TRACE.current or "(deadline/reaction)"
            await original(ctx, row, **kwargs)

        return wrapped

    qrule.Questions._message = message  # type: ignore[method-assign]
    qrule.Questions._opens = opens  # type: ignore[method-assign]
    qrule.find_answers = find  # type: ignore[assignment]
    qrule._helping = helping
    tracking.mark_answered = recorder("answered", original_answered)  # type: ignore[assignment]
    tracking.mark_solved = recorder("solved", original_solved)  # type: ignore[assignment]
    tracking.close = recorder("closed", original_close)  # type: ignore[assignment]


def show(log: Log, around: int, marks: dict[str, str], comp: int | None, until: int) -> None:
    start = max(0, around - 4)
    for ln in log.lines[start : min(until + 1, around + 40)]:
        c = log.component.get(ln.id)
        star = "*" if c == comp and c is not None else " "
        mark = marks.get(ln.id, "")
        when = ln.at.strftime("%H:%M")
        print(f"   {star}{mark:2} {when} <{ln.user}> {ln.text[:160]}")
        extra = [v for (lid, _q), v in TRACE.no_signal.items() if lid == ln.id]
        extra += [v for (lid, _q), v in TRACE.filtered.items() if lid == ln.id]
        if extra:
            print(f"            [{'; '.join(extra)}]")


def examine(log: Log, report: dict[str, Any], causes: Counter[str], wrong: Counter[str]) -> None:
    assert log.last_at is not None
    tracked = {q["message"]: q for q in report["questions"]}
    for line in log.lines:
        if line.id not in log.gold or log.gold[line.id] or line.is_bot:
            continue
        if line.at + T1 > log.last_at:
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
        if not asks_something([ln.text for ln in follow]):
            continue
        if gold_answered_by(log, line.id, line.at + T1):
            continue
        nudged = any(
            any(n["level"] == "helpers" for n in tracked[ln.id]["nudges"])
            for ln in follow
            if ln.id in tracked
        )
        if nudged:
            continue
        ids = [ln.id for ln in follow if ln.id in tracked]
        marks = {ln.id: ">" for ln in follow}
        until = start + 12
        if ids:
            qid = ids[0]
            cause = TRACE.stopped.get(qid, "tracked, not stopped (nudge held?)")
            stop_line = TRACE.stopped_by.get(qid)
            if stop_line in log.index:
                marks[stop_line] = "X"
                until = max(until, log.index[stop_line] + 1)
            short = cause.split(" ")[0]
            if short == "answered":
                short += ":" + cause.split("'kind': '")[1].split("'")[0]
            elif short == "closed":
                short = "withdrawn"
        else:
            reasons = [TRACE.not_opened.get(ln.id, "?") for ln in follow]
            cause = " | ".join(reasons)
            short = "untracked:" + reasons[0].split(" ")[0]
        causes[short] += 1
        print(f"\n## MISS {line.id} [{short}] {cause}")
        if ids and TRACE.stopped_by.get(ids[0]) in log.index:
            stop = log.lines[log.index[TRACE.stopped_by[ids[0]]]]
            gap = int((stop.at - line.at).total_seconds() // 60)
            print(f"   by +{gap}m <{stop.user}> {stop.text[:160]}")
        show(log, start, marks, comp, until)
    for mid, q in tracked.items():
        if mid not in log.gold or datetime.fromisoformat(q["asked_at"]) + T1 > log.last_at:
            continue
        for nudge in q["nudges"]:
            if nudge["level"] != "helpers":
                continue
            at = datetime.fromisoformat(nudge["at"])
            if not other_reply_by(log, mid, at):
                continue
            start = log.index[mid]
            comp = log.component.get(mid)
            marks = {mid: "Q"}
            replies = [
                ln
                for ln in log.lines[start + 1 :]
                if ln.at <= at and log.component.get(ln.id) == comp and ln.user != q["user"]
            ]
            for ln in replies:
                marks[ln.id] = "R"
            why = [
                TRACE.no_signal.get((ln.id, mid)) or TRACE.filtered.get((ln.id, mid))
                for ln in replies
            ]
            key = "reply addressed, no signal" if any(why) else "reply unaddressed"
            wrong[key] += 1
            print(f"\n## WRONG NUDGE {mid} [{key}] root={'opener' if not log.gold[mid] else 'mid'}")
            last = log.index[replies[-1].id] if replies else start + 6
            show(log, start, marks, comp, last)


async def run(data: Path, split: str) -> None:
    install()
    causes: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    paths = sorted((data / split).glob("*.events.jsonl"))
    with tempfile.TemporaryDirectory(prefix="answer-misses-") as scratch:
        for path in paths:
            report = await replay_file(path, Path(scratch))
            print(f"\n# {path.name}")
            examine(load(path), report, causes, wrong)
    print("\n== misses by cause:", dict(causes.most_common()))
    print("== wrong nudges:", dict(wrong.most_common()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--split", choices=["dev", "train"], default="train")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    asyncio.run(run(args.data, args.split))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
