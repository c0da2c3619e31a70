"""Pure functions of the console adapter: typed lines to core events, actions to printed lines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from bot.actions import (
    Action,
    DirectMessage,
    Ephemeral,
    Hide,
    NotifyModerators,
    Post,
    React,
    Reply,
    Respond,
    SetTags,
)
from bot.events import (
    CommandInvoked,
    Event,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)

PLATFORM = "console"
HOST = "host"
EMOJI_ALIASES = {"✅": "white_check_mark", "✔️": "heavy_check_mark", "👍": "+1", "❤️": "heart"}
_MENTION = re.compile(r"@([\w.\-]+)")
_MASS = re.compile(r"@(everyone|here|channel)\b")

CONSOLE_HELP = """\
Console commands (anything else is a chat message from the current speaker):
  /as NAME                speak as NAME          /join NAME    NAME joins and speaks
  /leave                  the speaker leaves     /in CHANNEL   switch channel (default #general)
  /thread N TEXT          reply in N's thread    /reply N TEXT reply referencing message N
  /react N EMOJI          react to message N     /unreact N EMOJI
  /edit N TEXT            edit message N         /delete N     delete message N
  /circle ...             bot commands           /wait 30m     advance simulated time
  /who                    members seen           /help         this help       /quit  stop"""


@dataclass
class ConsoleMessage:
    """A message the console knows by its short number."""

    number: int
    channel: str
    author: str
    text: str
    thread: str | None = None


@dataclass
class ConsoleState:
    """Who is speaking where, and every message so far by number."""

    community: str
    speaker: str = HOST
    channel: str = "general"
    next_number: int = 1
    next_event: int = 1
    messages: dict[int, ConsoleMessage] = field(default_factory=dict)
    members: list[str] = field(default_factory=lambda: [HOST])

    def new_event_id(self) -> str:
        self.next_event += 1
        return f"e{self.next_event - 1}"

    def new_message(self, channel: str, author: str, text: str, thread: str | None) -> int:
        number = self.next_number
        self.next_number += 1
        self.messages[number] = ConsoleMessage(number, channel, author, text, thread)
        return number


@dataclass(frozen=True)
class Control:
    """A console instruction that is not a chat event."""

    name: str
    argument: str = ""


class ConsoleInputError(ValueError):
    """A console line that cannot be understood; the message says how to type it."""


def emoji_name(raw: str) -> str:
    raw = raw.strip().strip(":")
    return EMOJI_ALIASES.get(raw, raw)


def _number(state: ConsoleState, raw: str) -> ConsoleMessage:
    try:
        message = state.messages[int(raw.lstrip("#m"))]
    except (ValueError, KeyError):
        raise ConsoleInputError(f"no message number {raw!r}; numbers are shown as [N]") from None
    return message


def parse_line(line: str, state: ConsoleState, now: datetime) -> Event | Control | None:
    """Turn one typed line into an event or a control instruction (None for blank lines)."""
    text = line.rstrip("\n")
    if not text.strip():
        return None
    if not text.startswith("/"):
        return _message(state, now, text, thread=None, reply_to=None)
    head, _, rest = text[1:].partition(" ")
    head, rest = head.lower(), rest.strip()
    common = {
        "platform": PLATFORM,
        "community": state.community,
        "at": now,
        "user": state.speaker,
        "user_name": state.speaker,
        "is_admin": state.speaker == HOST,
    }
    if head in {"as", "join"}:
        if not rest or " " in rest:
            raise ConsoleInputError(f"usage: /{head} NAME (one word)")
        state.speaker = rest.lstrip("@")
        if state.speaker not in state.members:
            state.members.append(state.speaker)
        if head == "as":
            return Control("as", state.speaker)
        common.update(user=state.speaker, user_name=state.speaker, is_admin=state.speaker == HOST)
        return MemberJoined(event_id=state.new_event_id(), channel=state.channel, **common)
    if head == "leave":
        return MemberLeft(event_id=state.new_event_id(), channel=state.channel, **common)
    if head in {"in", "channel"}:
        if not rest:
            raise ConsoleInputError("usage: /in CHANNEL")
        state.channel = rest.lstrip("#")
        return Control("channel", state.channel)
    if head in {"thread", "reply"}:
        number, _, body = rest.partition(" ")
        if not body.strip():
            raise ConsoleInputError(f"usage: /{head} N TEXT")
        target = _number(state, number)
        if head == "thread":
            root = target.thread or str(target.number)
            return _message(state, now, body, thread=root, reply_to=None, channel=target.channel)
        return _message(
            state,
            now,
            body,
            thread=target.thread,
            reply_to=str(target.number),
            channel=target.channel,
        )
    if head in {"react", "unreact"}:
        number, _, emoji = rest.partition(" ")
        if not emoji.strip():
            raise ConsoleInputError(f"usage: /{head} N EMOJI")
        target = _number(state, number)
        kind = ReactionAdded if head == "react" else ReactionRemoved
        return kind(
            event_id=state.new_event_id(),
            channel=target.channel,
            message_id=str(target.number),
            emoji=emoji_name(emoji),
            message_author=target.author,
            **common,
        )
    if head == "edit":
        number, _, body = rest.partition(" ")
        target = _number(state, number)
        target.text = body
        return MessageEdited(
            event_id=state.new_event_id(),
            channel=target.channel,
            message_id=str(target.number),
            text=body,
            thread=target.thread,
            **common,
        )
    if head == "delete":
        target = _number(state, rest)
        return MessageDeleted(
            event_id=state.new_event_id(),
            channel=target.channel,
            message_id=str(target.number),
            thread=target.thread,
            **common,
        )
    if head == "circle":
        return CommandInvoked(
            event_id=state.new_event_id(), channel=state.channel, text=rest, **common
        )
    if head in {"wait", "who", "help", "quit", "exit"}:
        return Control(head, rest)
    raise ConsoleInputError(f"unknown console command /{head}; type /help for the list")


def _message(
    state: ConsoleState,
    now: datetime,
    text: str,
    *,
    thread: str | None,
    reply_to: str | None,
    channel: str | None = None,
) -> MessagePosted:
    channel = channel or state.channel
    number = state.new_message(channel, state.speaker, text, thread)
    return MessagePosted(
        platform=PLATFORM,
        event_id=state.new_event_id(),
        community=state.community,
        at=now,
        user=state.speaker,
        user_name=state.speaker,
        is_admin=state.speaker == HOST,
        channel=channel,
        channel_name=channel,
        message_id=str(number),
        text=text,
        thread=thread,
        reply_to=reply_to,
        mentions=tuple(
            m for m in _MENTION.findall(text) if m not in {"everyone", "here", "channel"}
        ),
        mass_mention=bool(_MASS.search(text)),
    )


def describe_message(event: MessagePosted) -> str:
    """How a member's message is echoed, with its number for later reference."""
    where = f"#{event.channel}"
    if event.thread:
        where += f" › thread [{event.thread}]"
    if event.reply_to:
        where += f" ↪ [{event.reply_to}]"
    return f"[{event.message_id}] {where} {event.user}: {event.text}"


_USER_REF = re.compile(r"<@([^>\s]+)>")
_CHANNEL_REF = re.compile(r"<#([^>|\s]+)(?:\|[^>]*)?>")


def plain_markup(text: str) -> str:
    """Core markup (`<@user>`, `<#channel>`, shared with Slack and Discord) as console text."""
    return _CHANNEL_REF.sub(r"#\1", _USER_REF.sub(r"@\1", text))


def render_action(action: Action, number: int | None) -> str:
    """One printed block for an action: where it went, to whom, and what it says."""
    body = plain_markup(action.text)
    if action.card is not None and not body.strip():  # the text is the card's plain fallback
        lines = [f"== {action.card.title} =="]
        for section in action.card.sections:
            if section.heading:
                lines.append(f"-- {section.heading}")
            lines.extend(f"   {plain_markup(line)}" for line in section.lines)
        if action.card.footer:
            lines.append(action.card.footer)
        body = "\n".join(lines)
    tag = f"[{number}] " if number is not None else ""
    if isinstance(action, Post):
        where = f"#{action.channel}" + (f" › thread [{action.thread}]" if action.thread else "")
    elif isinstance(action, Reply):
        where = f"#{action.channel} › thread [{action.thread or action.message_id}]"
    elif isinstance(action, DirectMessage):
        where = f"DM → @{action.user}"
    elif isinstance(action, Ephemeral):
        where = f"#{action.channel} (only @{action.user} sees this)"
    elif isinstance(action, Respond):
        where = f"#{action.channel} " + (
            "(public reply)" if action.public else f"(only @{action.user} sees this)"
        )
    elif isinstance(action, NotifyModerators):
        where = "moderators"
    elif isinstance(action, React):
        return f"    bot reacted :{action.emoji}: to [{action.message_id}]"
    elif isinstance(action, Hide):
        return f"    bot hid [{action.message_id}] in #{action.channel} (kept for review)"
    elif isinstance(action, SetTags):
        return f"    bot tagged [{action.thread}] +{list(action.add)} -{list(action.remove)}"
    else:
        raise TypeError(f"the console cannot show {type(action).__name__}")
    indented = body.replace("\n", "\n      ")
    return f"  {tag}bot → {where}:\n      {indented}"
