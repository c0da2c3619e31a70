"""Reading a replay events file (replay schema v1): lines as core events, and a progress bar."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from bot.clock import ensure_utc
from bot.events import (
    Event,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)

PLATFORM = "replay"


class BadLine(ValueError):
    """A line of the events file that cannot be replayed."""


def _text(raw: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise BadLine(f"missing {key!r}")
        return None
    if not isinstance(value, str | int):
        raise BadLine(f"{key!r} must be a string")
    return str(value)


def parse_event(line: str, number: int) -> Event:
    """One JSONL line (replay schema v1) as a core event; BadLine says what is wrong."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLine(f"invalid JSON ({exc.msg})") from None
    if not isinstance(raw, dict):
        raise BadLine("expected a JSON object")
    kind = _text(raw, "type")
    at_text = _text(raw, "at")
    try:
        at = ensure_utc(datetime.fromisoformat(str(at_text)))
    except ValueError:
        raise BadLine(f"'at' is not an ISO-8601 time: {at_text!r}") from None
    community = f"{PLATFORM}:{_text(raw, 'community')}"
    channel = _text(raw, "channel", required=kind not in ("member_joined", "member_left"))
    common: dict[str, Any] = {
        "platform": PLATFORM,
        "community": community,
        "at": at,
        "user": _text(raw, "user"),
        "user_name": _text(raw, "user_name", required=False),
        "is_bot": bool(raw.get("is_bot", False)),
    }
    try:
        if kind == "message":
            message_id = _text(raw, "id")
            mentions = raw.get("mentions") or []
            if not isinstance(mentions, list):
                raise BadLine("'mentions' must be a list of user ids")
            return MessagePosted(
                **common,
                event_id=f"message:{message_id}",
                channel=channel,
                channel_name=channel,
                message_id=message_id,
                text=_text(raw, "text", required=False) or "",
                thread=_text(raw, "thread", required=False),
                reply_to=_text(raw, "reply_to", required=False),
                mentions=tuple(str(m) for m in mentions),
            )
        if kind in ("reaction_added", "reaction_removed"):
            model = ReactionAdded if kind == "reaction_added" else ReactionRemoved
            return model(
                **common,
                event_id=f"line:{number}",
                channel=channel,
                message_id=_text(raw, "message"),
                emoji=str(_text(raw, "emoji")).strip(":"),
            )
        if kind == "message_deleted":
            return MessageDeleted(
                **common, event_id=f"line:{number}", channel=channel, message_id=_text(raw, "id")
            )
        if kind in ("member_joined", "member_left"):
            member = MemberJoined if kind == "member_joined" else MemberLeft
            return member(**common, event_id=f"line:{number}", channel=channel)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadLine(f"{where}: {first['msg']}") from None
    raise BadLine(f"unknown event type {kind!r}")


@dataclass
class Progress:
    """A hand-written progress bar on stderr, by bytes read."""

    total: int
    out: IO[str] | None
    started: float = 0.0
    shown: float = 0.0

    def update(self, done: int, events: int, *, final: bool = False) -> None:
        if self.out is None:
            return
        now = time.monotonic()
        if not self.started:
            self.started = now
        if not final and now - self.shown < 0.25:
            return
        self.shown = now
        share = min(done / self.total, 1.0) if self.total else 1.0
        filled = int(share * 30)
        rate = events / max(now - self.started, 1e-6)
        bar = "#" * filled + "." * (30 - filled)
        self.out.write(f"\r[{bar}] {share:6.1%} {events:,} events {rate:,.0f}/s")
        if final:
            self.out.write("\n")
        self.out.flush()


def read_events(path: Path, errors: IO[str]) -> Iterator[tuple[int, int, Event]]:
    """Stream (bytes read, line number, event); bad lines are reported and skipped."""
    done = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            done += len(raw)
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            try:
                yield done, number, parse_event(line, number)
            except BadLine as exc:
                errors.write(f"\n{path}:{number}: skipped: {exc}\n")
