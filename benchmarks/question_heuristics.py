"""Measure bot.text question/answer heuristics on the annotated #ubuntu IRC logs.

Usage: ``.venv/bin/python benchmarks/question_heuristics.py [--split dev|train|all] [--data DIR]``

Data: ``shared/data/irc-ubuntu`` (Kummerfeld et al., ACL 2019, Ubuntu IRC logs, CC-BY-4.0).
Every message of each ``STEM.events.jsonl`` is streamed, in order, through
``bot.text.exchange.FlatChannel`` (pure functions, no engine, no database). Lines before the
first annotated message (line 1000 of the corpus) only give the model history; figures count
annotated messages only. Gold reply links (``STEM.gold.jsonl``) are read only by the scorer.

Definitions (T1 = 15 minutes):

- *opener*: an annotated message by a human (``is_bot`` false) whose gold ``reply_to`` is empty.
- *evaluable*: its ``at + T1`` is not after the file's last annotated message.
- *answered at T*: some message by a different, non-bot user reachable from it through gold
  ``reply_to`` links was posted by T (the README's definition).
- *asks something* (the benchmark's label, independent of the detector under test): the opener,
  or a message by the same author within the next 2 minutes in the same gold conversation,
  contains ``?`` or ``¿`` outside URLs,
  or matches ``ASKS_RE`` below, a short fixed list of explicit help words ("help", "anyone
  know", "any idea", "how do/can/to", "is there a/any", "I need", "trying to", "problem",
  "error", "doesn't/won't/can't/not work", "wondering", "looking for", Spanish equivalents).
  It is deliberately independent of ``bot/text/lexicon.yaml`` and was not tuned.
  A message that is only a presence ping or greeting ('hi ?', 'You there?', '??': every word in
  ``PRESENCE_WORDS`` once a leading 'nick:' and URLs are dropped) asks nothing whatever its '?'
  (it asks whether someone is there, not for help); ``asks_something(..., legacy=True)`` is the
  first definition, where any '?' counted.
- *detected*: the model opened a question at the opener, or at a message by its author within
  the next 2 minutes in the same gold conversation (greeting first, question next).
- *answered detection*: every evaluable opener is also tracked as an oracle open question; its
  first answer signal by T1 is *correct* when the opener was gold-answered by that signal's line
  (a reply from another member at or before it). Recall: gold-answered-by-T1 openers whose
  signal came by T1.
- *nudge*: each question the model opened in the annotated range, evaluable, with no answer
  signal by ``asked_at + T1``. It is *right* when no other non-bot member posted in the same gold
  conversation after the question and by the nudge time (for an opener: the README's answered
  test). Precision is given over all nudges and over nudges on openers.
- *nudge recall*: of evaluable openers that ask something and are gold-unanswered at T1, the
  share detected and nudged (the nudge of the detected question counts).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.text.exchange import ChatLine, FlatChannel, OpenQuestion, find_answers

T1 = timedelta(minutes=15)
FOLLOW = timedelta(minutes=2)
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "irc-ubuntu"
URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
ASKS_RE = re.compile(
    r"\b(?:help|anyone know|anybody know|someone know|any ?(?:ideas?|clues?|suggestions?|advice)"
    r"|how (?:do|can|to)|is there (?:a|any)|i need|trying to|problem|error"
    r"|(?:doesn'?t|does not|won'?t|can'?t|cannot|not) work|wondering|looking for|recommend"
    r"|necesito|ayuda|alguien sabe|no funciona|c[oó]mo)\b",
    re.IGNORECASE,
)


PRESENCE_WORDS = frozenset(
    "hi hello hey hay heya hiya yo sup hmm hmmm hm ping pong anyone anybody someone somebody"
    " everyone there here you u ya still around awake alive ok okay so all guys people folks"
    " again back hola buenas alguien ahi hay".split()
)
"""Words of presence pings and greetings ('hi ?', 'you there?', 'anyone here?', 'hola?')."""
LEAD_NICK_RE = re.compile(r"^\s*[^\s:,]{1,40}[:,]\s+")
WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


def is_presence_ping(text: str) -> bool:
    """Only a greeting or 'are you there' ping (or bare punctuation), whatever its '?'."""
    bare = LEAD_NICK_RE.sub("", URL_RE.sub(" ", text))
    return all(w in PRESENCE_WORDS for w in WORD_RE.findall(bare.casefold()))


def asks_something(texts: list[str], *, legacy: bool = False) -> bool:
    """The benchmark's own label: '?' outside URLs or an explicit help phrase.

    Presence pings and bare greetings ('hi ?', 'You there?', '??') ask nothing, even with a '?'
    (``legacy=True``: the first definition, where any '?' counted).
    """
    for text in texts:
        if not legacy and is_presence_ping(text):
            continue
        bare = URL_RE.sub(" ", text)
        if "?" in bare or "¿" in bare or ASKS_RE.search(bare):
            return True
    return False


@dataclass
class Log:
    """One events file with its gold links and derived conversation structure."""

    lines: list[ChatLine]
    index: dict[str, int]
    gold: dict[str, list[str]]
    children: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    component: dict[str, int] = field(default_factory=dict)
    last_at: datetime | None = None

    def by_id(self, mid: str) -> ChatLine | None:
        pos = self.index.get(mid)
        return None if pos is None else self.lines[pos]


def load(events_path: Path) -> Log:
    """Read one events file and its gold file."""
    lines: list[ChatLine] = []
    for raw in events_path.read_text(encoding="utf-8").splitlines():
        event = json.loads(raw)
        if event.get("type") != "message":
            continue
        lines.append(
            ChatLine(
                id=event["id"],
                user=event["user"],
                text=event.get("text") or "",
                at=datetime.fromisoformat(event["at"]),
                mentions=tuple(event.get("mentions") or ()),
                reply_to=None,
                thread=event.get("thread"),
                is_bot=bool(event.get("is_bot")),
            )
        )
    gold_path = events_path.with_name(events_path.name.replace(".events.", ".gold."))
    gold = {}
    for raw in gold_path.read_text(encoding="utf-8").splitlines():
        row = json.loads(raw)
        gold[row["id"]] = list(row["reply_to"])
    log = Log(lines=lines, index={ln.id: i for i, ln in enumerate(lines)}, gold=gold)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for mid, targets in gold.items():
        for target in targets:
            log.children[target].append(mid)
            parent[find(mid)] = find(target)
    roots: dict[str, int] = {}
    for mid in list(gold) + [t for ts in gold.values() for t in ts]:
        log.component[mid] = roots.setdefault(find(mid), len(roots))
    annotated = [log.by_id(m) for m in gold]
    log.last_at = max(ln.at for ln in annotated if ln is not None)
    return log


def other_reply_by(log: Log, qid: str, limit: datetime, *, after_index: int | None = None) -> bool:
    """Whether another non-bot member posted in qid's gold conversation after it, by ``limit``."""
    asker = log.by_id(qid)
    assert asker is not None
    start = log.index[qid] if after_index is None else after_index
    comp = log.component.get(qid)
    for mid, cid in log.component.items():
        if cid != comp or mid == qid:
            continue
        line = log.by_id(mid)
        if line is None or line.is_bot or line.user == asker.user:
            continue
        if log.index[mid] > start and line.at <= limit:
            return True
    return False


def gold_answered_by(log: Log, qid: str, limit: datetime, max_index: int | None = None) -> bool:
    """README definition: a reply by another non-bot user reachable through reply_to, by limit."""
    asker = log.by_id(qid)
    assert asker is not None
    stack, seen = [qid], {qid}
    while stack:
        for child in log.children.get(stack.pop(), []):
            if child in seen:
                continue
            seen.add(child)
            stack.append(child)
            line = log.by_id(child)
            if line is None or line.is_bot or line.user == asker.user or line.at > limit:
                continue
            if max_index is None or log.index[child] <= max_index:
                return True
    return False


@dataclass
class Tally:
    """Counters summed over files."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, key: str, value: int = 1) -> None:
        self.counts[key] += value

    def __getitem__(self, key: str) -> int:
        return self.counts.get(key, 0)


def score_file(log: Log, tally: Tally) -> None:
    """Stream one log through the model and add its figures to the tally."""
    assert log.last_at is not None
    model = FlatChannel()
    openers = [
        ln for ln in log.lines if ln.id in log.gold and not log.gold[ln.id] and not ln.is_bot
    ]
    evaluable = {ln.id for ln in openers if ln.at + T1 <= log.last_at}
    oracle: dict[str, OpenQuestion] = {}
    oracle_signal: dict[str, ChatLine] = {}
    opened: dict[str, OpenQuestion] = {}
    first_signal: dict[str, ChatLine] = {}
    for line in log.lines:
        for signal in find_answers(
            line,
            list(oracle.values()),
            window=model.window,
            known_users=model.seen_users,
            recent=model.recent,
        ):
            oracle_signal.setdefault(signal.question_id, line)
            oracle.pop(signal.question_id, None)
        if line.id in evaluable:
            oracle[line.id] = OpenQuestion(line.id, line.user, line.at)
        observation = model.observe(line)
        for signal in observation.answers:
            first_signal.setdefault(signal.question_id, line)
        if observation.opened is not None and line.id in log.gold:
            opened[line.id] = observation.opened

    nudged: set[str] = set()
    for qid, question in opened.items():
        deadline = question.at + T1
        if deadline > log.last_at:
            continue
        signal_line = first_signal.get(qid)
        if signal_line is not None and signal_line.at <= deadline:
            continue
        nudged.add(qid)
        right = not other_reply_by(log, qid, deadline)
        tally.add("nudges")
        tally.add("nudges_right", right)
        if not log.gold[qid]:
            tally.add("opener_nudges")
            tally.add("opener_nudges_right", right)

    for opener in openers:
        tally.add("openers")
        start = log.index[opener.id]
        comp = log.component.get(opener.id)
        follow = [
            ln
            for ln in log.lines[start : start + 40]
            if ln.user == opener.user
            and ln.at <= opener.at + FOLLOW
            and log.component.get(ln.id) == comp
        ]
        asks = asks_something([ln.text for ln in follow])
        detected = [ln.id for ln in follow if ln.id in opened]
        tally.add("asks", asks)
        tally.add("detected", bool(detected))
        tally.add("detected_and_asks", bool(detected) and asks)
        if opener.id not in evaluable:
            continue
        tally.add("evaluable")
        deadline = opener.at + T1
        answered = gold_answered_by(log, opener.id, deadline)
        tally.add("gold_answered", answered)
        signal_line = oracle_signal.get(opener.id)
        if signal_line is not None and signal_line.at <= deadline:
            tally.add("signals")
            tally.add(
                "signals_right",
                gold_answered_by(log, opener.id, deadline, log.index[signal_line.id]),
            )
            tally.add("answered_found", answered)
        if asks and not answered:
            tally.add("need_nudge")
            tally.add("need_nudge_nudged", any(d in nudged for d in detected))


def ratio(num: int, den: int) -> str:
    return f"{num / den:.3f} ({num}/{den})" if den else "n/a (0/0)"


def report(name: str, tally: Tally, files: int) -> Iterator[str]:
    """Rows of the printed table."""
    yield f"== split: {name}  files: {files}  T1: {int(T1.total_seconds() // 60)} min"
    rows = [
        ("human conversation openers (annotated)", str(tally["openers"])),
        ("  that ask something (benchmark label)", str(tally["asks"])),
        ("  detected as questions", str(tally["detected"])),
        ("  detector precision vs label", ratio(tally["detected_and_asks"], tally["detected"])),
        ("  detector recall vs label", ratio(tally["detected_and_asks"], tally["asks"])),
        ("evaluable openers (T1 inside annotation)", str(tally["evaluable"])),
        ("  gold-answered by T1", str(tally["gold_answered"])),
        ("answered detection precision", ratio(tally["signals_right"], tally["signals"])),
        ("answered detection recall", ratio(tally["answered_found"], tally["gold_answered"])),
        ("nudge precision (all nudges)", ratio(tally["nudges_right"], tally["nudges"])),
        (
            "nudge precision (nudges on openers)",
            ratio(tally["opener_nudges_right"], tally["opener_nudges"]),
        ),
        ("nudge recall", ratio(tally["need_nudge_nudged"], tally["need_nudge"])),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        yield f"{label.ljust(width)}  {value}"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark on one split (or all) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--split", choices=["dev", "train", "all"], default="dev")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    splits = ["dev", "train"] if args.split == "all" else [args.split]
    for split in splits:
        paths = sorted((args.data / split).glob("*.events.jsonl"))
        if not paths:
            print(f"no events files under {args.data / split}", file=sys.stderr)
            return 1
        tally = Tally()
        for path in paths:
            score_file(load(path), tally)
        for row in report(split, tally, len(paths)):
            print(row)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
