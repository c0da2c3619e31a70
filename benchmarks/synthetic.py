"""A deterministic synthetic community: replay schema v1 records (and core events) for benchmarks.

The mix follows a busy chat community: top-level channel messages (about 10% of them questions),
thread replies (most of them to questions, some answering), platform replies, reactions (a few
of them the asker's check-mark), joins and a few leaves, spread over a few hundred members and a
dozen channels with a daily rhythm. The same seed and size always give the same records.

Usage: ``.venv/bin/python benchmarks/synthetic.py OUT.jsonl [--events N] [--seed S]``
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.adapter import Capabilities  # noqa: E402
from bot.events import Event  # noqa: E402
from bot.replay import ReplayAdapter, parse_event  # noqa: E402

START = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
CHANNELS = (
    "general", "help", "dev", "random", "announcements", "intro", "ops",
    "design", "jobs", "events", "python", "offtopic",
)  # fmt: skip
MIX = (
    ("top", 0.58),
    ("thread_reply", 0.20),
    ("platform_reply", 0.04),
    ("reaction", 0.14),
    ("join", 0.035),
    ("leave", 0.005),
)
QUESTION_SHARE = 0.14
TOPICS = (
    "the deploy script", "docker compose", "the VPN", "my laptop", "postgres", "the CI pipeline",
    "python 3.11", "the build", "nginx", "the staging server", "kubernetes", "the API key",
    "wifi drivers", "the printer", "grub", "ssh keys", "the release notes", "the test suite",
)  # fmt: skip
QUESTIONS = (
    "how do I configure {t}?",
    "does anyone know why {t} fails after the update?",
    "is there a way to reset {t} without losing data?",
    "can someone help me with {t}? it keeps crashing",
    "what is the best way to debug {t}?",
    "anyone else seeing errors with {t} today?",
    "where can I find the docs for {t}?",
    "why does {t} hang on startup?",
)
CHATTER = (
    "I pushed a fix for {t} this morning",
    "{t} works fine for me now",
    "just finished reading about {t}, interesting stuff",
    "lol that is a classic",
    "good morning everyone",
    "we should write this down somewhere",
    "I will look at {t} after lunch",
    "nice, thanks for sharing",
    "the meetup is next thursday, see you there",
    "agreed, {t} needs some love",
)
ANSWERS = (
    "try restarting {t} with the verbose flag",
    "you need to update {t} first, then it works",
    "check the logs of {t}, it usually says why",
    "I had the same problem, reinstalling {t} fixed it",
    "see the wiki page about {t}",
)
THANKS = ("thanks, that worked!", "perfect, solved", "thank you so much", "got it, thanks")
EMOJI = ("thumbsup", "heart", "tada", "eyes", "laughing", "white_check_mark")


class SendingAdapter(ReplayAdapter):
    """Replay's adapter (it sends nothing), counted as one whose sends have effects: the outbox
    marks each send on its own, as for Slack or Discord (benchmarks measure that path)."""

    def __init__(self) -> None:
        super().__init__()
        self.capabilities = Capabilities(rich_cards=True)


class Generator:
    """Produces schema v1 records one by one; state is bounded (recent messages per channel)."""

    def __init__(self, *, seed: int = 7, members: int = 600, mean_gap: float = 5.0) -> None:
        self.rng = random.Random(seed)
        self.at = START
        self.mean_gap = mean_gap
        self.members = [f"U{n:05d}" for n in range(members)]
        self.active = self.members[:]
        self.next_member = members
        self.next_message = 1
        weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(CHANNELS))]
        self.channel_weights = weights
        self.recent: dict[str, deque[tuple[str, str]]] = {c: deque(maxlen=60) for c in CHANNELS}
        self.questions: deque[tuple[str, str, str]] = deque(maxlen=400)
        self.answered: deque[tuple[str, str, str, str]] = deque(maxlen=200)

    def _tick(self) -> None:
        hour = self.at.hour
        busy = 0.35 if 8 <= hour < 20 else 2.5  # the community sleeps at night
        gap = self.rng.expovariate(1.0 / (self.mean_gap * busy))
        self.at += timedelta(milliseconds=max(1, int(gap * 1000)))

    def _user(self) -> str:
        index = min(int(self.rng.paretovariate(1.2)) - 1, len(self.active) - 1)
        if self.rng.random() < 0.5:
            return self.active[-1 - index]  # newer members are chattier
        return self.active[index]

    def _other(self, than: str) -> str:
        for _ in range(5):
            user = self._user()
            if user != than:
                return user
        return self.active[0] if self.active[0] != than else self.active[-1]

    def _channel(self) -> str:
        return self.rng.choices(CHANNELS, weights=self.channel_weights)[0]

    def _base(self, kind: str, user: str, channel: str | None) -> dict[str, Any]:
        record: dict[str, Any] = {
            "type": kind,
            "at": self.at.isoformat(),
            "community": "synthetic",
            "user": user,
            "user_name": f"member{user[1:]}",
        }
        if channel is not None:
            record["channel"] = channel
        return record

    def _message(self, user: str, channel: str, text: str, **extra: Any) -> dict[str, Any]:
        message_id = f"m{self.next_message}"
        self.next_message += 1
        record = self._base("message", user, channel)
        record.update(id=message_id, text=text, **extra)
        self.recent[channel].append((message_id, user))
        return record

    def _topic(self) -> str:
        return self.rng.choice(TOPICS)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        kinds = [k for k, _ in MIX]
        weights = [w for _, w in MIX]
        while True:
            self._tick()
            kind = self.rng.choices(kinds, weights=weights)[0]
            record = getattr(self, f"_{kind}")()
            if record is not None:
                yield record

    def _top(self) -> dict[str, Any]:
        user, channel = self._user(), self._channel()
        if self.rng.random() < QUESTION_SHARE:
            record = self._message(
                user, channel, self.rng.choice(QUESTIONS).format(t=self._topic())
            )
            self.questions.append((channel, record["id"], user))
            return record
        text = self.rng.choice(CHATTER).format(t=self._topic())
        extra: dict[str, Any] = {}
        if self.rng.random() < 0.1 and self.recent[channel]:
            mentioned = self.rng.choice(self.recent[channel])[1]
            if mentioned != user:
                extra["mentions"] = [mentioned]
                text = f"<@{mentioned}> {text}"
        return self._message(user, channel, text, **extra)

    def _thread_reply(self) -> dict[str, Any]:
        if self.questions and self.rng.random() < 0.65:
            channel, root, asker = self.questions[
                -1 - min(int(self.rng.expovariate(0.08)), len(self.questions) - 1)
            ]
            if self.rng.random() < 0.25 and self.answered:
                channel, root, asker, helper = self.answered.pop()
                return self._message(asker, channel, self.rng.choice(THANKS), thread=root)
            helper = self._other(asker)
            self.answered.append((channel, root, asker, helper))
            text = self.rng.choice(ANSWERS).format(t=self._topic())
            return self._message(helper, channel, text, thread=root)
        channel = self._channel()
        if not self.recent[channel]:
            return self._top()
        root, author = self.rng.choice(self.recent[channel])
        user = self._other(author)
        return self._message(user, channel, self.rng.choice(CHATTER).format(t=self._topic()),
                             thread=root)  # fmt: skip

    def _platform_reply(self) -> dict[str, Any]:
        channel = self._channel()
        if not self.recent[channel]:
            return self._top()
        target, author = self.rng.choice(self.recent[channel])
        user = self._other(author)
        text = self.rng.choice(ANSWERS + CHATTER).format(t=self._topic())
        return self._message(user, channel, text, reply_to=target, mentions=[author])

    def _reaction(self) -> dict[str, Any] | None:
        if self.answered and self.rng.random() < 0.08:
            channel, _root, asker, _helper = self.answered[-1]
            if self.recent[channel]:
                message, _author = self.recent[channel][-1]
                record = self._base("reaction_added", asker, channel)
                record.update(message=message, emoji="white_check_mark")
                return record
        channel = self._channel()
        if not self.recent[channel]:
            return None
        message, author = self.rng.choice(self.recent[channel])
        record = self._base("reaction_added", self._other(author), channel)
        record.update(message=message, emoji=self.rng.choice(EMOJI[:-1]))
        return record

    def _join(self) -> dict[str, Any]:
        user = f"U{self.next_member:05d}"
        self.next_member += 1
        self.active.append(user)
        return self._base("member_joined", user, "general")

    def _leave(self) -> dict[str, Any] | None:
        if len(self.active) < 50:
            return None
        user = self.active.pop(self.rng.randrange(len(self.active) // 2))
        return self._base("member_left", user, None)


def records(count: int, *, seed: int = 7) -> Iterator[dict[str, Any]]:
    """The first `count` records of the community with this seed."""
    produced = 0
    for record in Generator(seed=seed):
        if produced >= count:
            return
        produced += 1
        yield record


def events(count: int, *, seed: int = 7) -> Iterator[Event]:
    """The same community as core events (the replay community `replay:synthetic`)."""
    for number, record in enumerate(records(count, seed=seed), start=1):
        yield parse_event(json.dumps(record), number)


def write_jsonl(path: Path, count: int, *, seed: int = 7) -> int:
    """Write `count` records as replay schema v1 JSONL; returns how many were written."""
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for record in records(count, seed=seed):
            out.write(json.dumps(record, separators=(",", ":")))
            out.write("\n")
            written += 1
    return written


def mix(count: int, *, seed: int = 7) -> dict[str, int]:
    """How many records of each kind (questions counted apart) the first `count` hold."""
    from bot.text.questions import is_question

    found: dict[str, int] = {}
    for record in records(count, seed=seed):
        kind = record["type"]
        if kind == "message":
            if record.get("thread"):
                kind = "thread_reply"
            elif record.get("reply_to"):
                kind = "platform_reply"
            elif is_question(record["text"]):
                kind = "question"
        found[kind] = found.get(kind, 0) + 1
    return found


BENCH_CONFIG = """
community:
  name: Synthetic Circle
  timezone: Europe/Madrid
  moderators: {users: [U00000]}
  moderators_channel: mods
  intro_channel: intro
  welcome_channel: general
  helpers_group: helpers
prompts:
  schedule: ["tue 10:00", "fri 15:00"]
  targets: [{channel: general}]
  library:
    - {text: "What is one thing you learned this week that surprised you?", tone: serious}
    - {text: "Which tool could you not live without, and why?", tone: light}
digests:
  daily: "09:00"
  weekly: "mon 09:00"
  members_weekly: "mon 09:00"
"""
"""Every rule enabled, with the channels the synthetic community uses."""


def peak_rss_mb() -> float:
    """This process's peak resident set size, in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    """A two-column table of figures."""
    width = max(len(name) for name, _ in rows)
    print(title)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", help="JSONL file to write (omit: print the mix)")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="10k events")
    args = parser.parse_args(argv)
    count = 10_000 if args.quick else args.events
    if args.out:
        written = write_jsonl(Path(args.out), count, seed=args.seed)
        print(f"wrote {written:,} events to {args.out}")
        return 0
    found = mix(count, seed=args.seed)
    print(f"{'kind':<16}{'events':>10}{'share':>8}")
    for kind, n in sorted(found.items(), key=lambda kv: -kv[1]):
        print(f"{kind:<16}{n:>10,}{n / count:>8.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
