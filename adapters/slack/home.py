"""App Home: the moderators' dashboard (open questions, held messages, next prompt) and, for
members, their own open questions. Data comes from the rules' read contracts, imported lazily:
a section is shown only when its rule's store module exists."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from adapters.slack.blocks import Block, button_blocks, escape
from bot.actions import Button

log = logging.getLogger(__name__)
SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]

QUESTIONS = "rules.questions.store"
HELD = "rules.first_contact.store"
PROMPTS = "rules.prompts.store"
MAX_ITEMS = 10
MAX_HOME_BLOCKS = 100


@dataclass
class Dashboard:
    """What one person's Home shows; None means the section's rule is not installed."""

    moderator: bool
    questions: list[Any] | None = None
    held: list[Any] | None = None
    next_prompt: Any = None
    has_prompts: bool = False
    problems: list[str] = field(default_factory=list)


def contract(module: str) -> ModuleType | None:
    """The rule's store module, or None when that rule is not installed."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise


async def load_dashboard(
    sessions: SessionFactory, community: str, *, user: str, moderator: bool, now: datetime
) -> Dashboard:
    """Read every available section for `user` (moderators see the whole community).

    Each section reads in its own session: one rule's failing store (a missing table, a bug)
    hides that section only, and is logged.
    """
    board = Dashboard(moderator=moderator)
    questions = contract(QUESTIONS)
    if questions is not None:
        asker = None if moderator else user
        board.questions = await _read(
            sessions,
            board,
            "questions",
            lambda s: questions.open_questions(
                s, community, now=now, asker=asker, limit=MAX_ITEMS + 1
            ),
        )
    if not moderator:
        return board
    held = contract(HELD)
    if held is not None:
        board.held = await _read(
            sessions,
            board,
            "held messages",
            lambda s: held.held_messages(s, community, limit=MAX_ITEMS + 1),
        )
    prompts = contract(PROMPTS)
    if prompts is not None:
        board.has_prompts = True
        board.next_prompt = await _read(
            sessions, board, "next prompt", lambda s: prompts.next_prompt(s, community)
        )
    return board


async def _read(
    sessions: SessionFactory,
    board: Dashboard,
    what: str,
    read: Callable[[AsyncSession], Awaitable[Any]],
) -> Any:
    try:
        async with sessions() as session:
            return await read(session)
    except Exception as exc:
        log.warning("App Home: cannot read %s: %s", what, exc)
        board.problems.append(what)
        return None


def home_view(board: Dashboard, *, now: datetime) -> dict[str, Any]:
    """The `home` view for views.publish."""
    blocks: list[Block] = []
    if board.moderator:
        blocks += _header("Moderators' dashboard")
        if board.questions is not None:
            blocks += _questions(board.questions, now=now, moderator=True)
        if board.held is not None:
            blocks += _held(board.held, now=now)
        if board.has_prompts:
            blocks += _prompt(board.next_prompt)
    else:
        blocks += _header("Your questions")
        if board.questions is not None:
            blocks += _questions(board.questions, now=now, moderator=False)
    if board.problems:
        blocks += _context("Could not load: " + ", ".join(board.problems) + ". Try again later.")
    if len(blocks) <= 1:
        blocks += _context("Nothing to show yet: the circle's rules will fill this page.")
    blocks += _context("Type `/circle help` in any channel for what I can do.")
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def _header(title: str) -> list[Block]:
    return [{"type": "header", "text": {"type": "plain_text", "text": title}}]


def _mrkdwn(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _context(text: str) -> list[Block]:
    return [{"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}]


def age(since: datetime, now: datetime) -> str:
    """A short age like `5m`, `3h`, `2d`."""
    seconds = max(int((now - since).total_seconds()), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _questions(items: list[Any], *, now: datetime, moderator: bool) -> list[Block]:
    title = "Open questions" if moderator else "Your open questions"
    blocks: list[Block] = [{"type": "divider"}, _mrkdwn(f"*{title}* ({_count(items)})")]
    if not items:
        empty = "Every question has an answer. :tada:" if moderator else "None open right now."
        return [*blocks, *_context(empty)]
    for index, q in enumerate(items[:MAX_ITEMS]):
        who = q.asker_name or f"<@{q.asker}>"
        link = f" · <{q.permalink}|open>" if q.permalink else ""
        claimed = f" · claimed by <@{q.claimed_by}>" if q.claimed_by else ""
        line = f"*Q{q.id}* in #{escape(q.channel)} by {escape(who)}, {age(q.asked_at, now)} ago"
        blocks.append(_mrkdwn(f"{line}{claimed}{link}\n>{escape(q.excerpt)}"))
        if moderator:
            buttons = (
                Button(label="I'll take it", command=f"claim Q{q.id}", style="primary"),
                Button(label="Answered", command=f"answered Q{q.id}"),
                Button(label="Snooze 1h", command=f"snooze Q{q.id} 1h"),
            )
            blocks += button_blocks(buttons, prefix=f"q{index}.")
    return blocks


def _held(items: list[Any], *, now: datetime) -> list[Block]:
    blocks: list[Block] = [
        {"type": "divider"},
        _mrkdwn(f"*Held for review* ({_count(items)})"),
    ]
    if not items:
        return [*blocks, *_context("No message waits for review.")]
    for index, h in enumerate(items[:MAX_ITEMS]):
        who = h.user_name or f"<@{h.user}>"
        reasons = ", ".join(h.reasons) or "held"
        excerpt = " ".join(str(h.text).split())[:280]
        line = f"*H{h.id}* by {escape(who)} in #{escape(h.channel)}, {age(h.held_at, now)} ago"
        blocks.append(_mrkdwn(f"{line} ({escape(reasons)})\n>{escape(excerpt)}"))
        buttons = (
            Button(label="Approve", command=f"approve H{h.id}", style="primary"),
            Button(label="Reject", command=f"reject H{h.id}", style="danger"),
        )
        blocks += button_blocks(buttons, prefix=f"h{index}.")
    return blocks


def _prompt(prompt: Any) -> list[Block]:
    blocks: list[Block] = [{"type": "divider"}, _mrkdwn("*Next open-topic prompt*")]
    if prompt is None:
        return [*blocks, *_context("The prompt library is empty: `/circle prompt add ...`")]
    tone = getattr(prompt, "tone", "")
    return [*blocks, _mrkdwn(f">{escape(str(prompt.text))}"), *_context(f"tone: {tone}")]


def _count(items: list[Any]) -> str:
    return f"{MAX_ITEMS}+" if len(items) > MAX_ITEMS else str(len(items))
