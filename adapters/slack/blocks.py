"""Pure rendering of core text, cards and buttons as Slack Block Kit, with a text fallback."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapters.slack.translate import ACTION_PREFIX
from bot.actions import Button, Card

Block = dict[str, Any]

MAX_BLOCKS = 50  # per message (Home views allow 100)
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_BUTTON_LABEL = 75
MAX_BUTTON_VALUE = 2000
MAX_ELEMENTS = 25  # per actions block
_SLACK_TOKEN = re.compile(r"<(?:[@#!][^<>\s]*|https?://[^<>\s]+|mailto:[^<>\s]+)>")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


class BlockError(ValueError):
    """Content that Slack cannot carry (e.g. a button command longer than 2,000 characters)."""


@dataclass(frozen=True)
class Rendered:
    """A message ready for chat.postMessage: fallback `text` and optional `blocks`."""

    text: str
    blocks: list[Block] | None = None


def escape(text: str) -> str:
    """Escape `&`, `<`, `>` for mrkdwn, keeping Slack tokens (`<@U1>`, `<!here>`, `<https://..>`)."""
    out: list[str] = []
    last = 0
    for match in _SLACK_TOKEN.finditer(text):
        out.append(_escape_plain(text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_escape_plain(text[last:]))
    return _BOLD.sub(r"*\1*", "".join(out))


def _escape_plain(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chunks(text: str, size: int = MAX_SECTION) -> list[str]:
    """Split text into pieces of at most `size` characters, preferring line breaks."""
    pieces: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size + 1)
        cut = cut if cut > 0 else size
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text:
        pieces.append(text)
    return pieces


def section(text: str) -> list[Block]:
    """mrkdwn section blocks for `text` (escaped, split at 3,000 characters)."""
    pieces = chunks(escape(text))
    return [{"type": "section", "text": {"type": "mrkdwn", "text": c}} for c in pieces]


def card_blocks(card: Card) -> list[Block]:
    """A card: header, one section per card section, a context footer."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(card.title, MAX_HEADER)}}
    ]
    for part in card.sections:
        lines = "\n".join(part.lines)
        heading = f"**{part.heading}**\n" if part.heading else ""
        if heading or lines:
            blocks.extend(section(heading + lines))
    if card.footer:
        footer = {"type": "mrkdwn", "text": escape(card.footer)[:3000]}
        blocks.append({"type": "context", "elements": [footer]})
    return blocks


def button_blocks(buttons: Sequence[Button], *, prefix: str = "") -> list[Block]:
    """Actions blocks; each button's action_id is unique in the message, its value the command."""
    elements: list[Block] = []
    for index, button in enumerate(buttons):
        if len(button.command) > MAX_BUTTON_VALUE:
            raise BlockError(f"button {button.label!r}: command longer than {MAX_BUTTON_VALUE}")
        element: Block = {
            "type": "button",
            "action_id": f"{ACTION_PREFIX}{prefix}{index}",
            "text": {"type": "plain_text", "text": _clip(button.label, MAX_BUTTON_LABEL)},
            "value": button.command,
        }
        if button.style != "default":
            element["style"] = button.style
        elements.append(element)
    return [
        {"type": "actions", "elements": elements[i : i + MAX_ELEMENTS]}
        for i in range(0, len(elements), MAX_ELEMENTS)
    ]


def render(text: str, *, card: Card | None = None, buttons: Sequence[Button] = ()) -> Rendered:
    """Text, card and buttons as one Slack message (plain text alone needs no blocks)."""
    fallback = text or (card_text(card) if card else "")
    if card is None and not buttons:
        return Rendered(text=escape(fallback) if fallback else " ")
    blocks: list[Block] = []
    if text:
        blocks.extend(section(text))
    if card is not None:
        blocks.extend(card_blocks(card))
    actions = button_blocks(buttons)
    room = MAX_BLOCKS - len(actions)
    if len(blocks) > room:
        more = {"type": "context", "elements": [{"type": "mrkdwn", "text": "… (shortened)"}]}
        blocks = [*blocks[: room - 1], more]
    return Rendered(text=_clip(escape(fallback or "circlebot"), 4000), blocks=blocks + actions)


def card_text(card: Card) -> str:
    """A card as plain text (notification fallback)."""
    lines = [card.title]
    for part in card.sections:
        if part.heading:
            lines.append(part.heading)
        lines.extend(f"  {line}" for line in part.lines)
    if card.footer:
        lines.append(card.footer)
    return "\n".join(lines)


def _clip(text: str, size: int) -> str:
    text = text.strip() or "·"
    return text if len(text) <= size else text[: size - 1] + "…"
