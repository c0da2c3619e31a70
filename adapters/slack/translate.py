"""Pure translation of Slack Events API payloads into core events (see interactive.py for the rest).

Every function here is pure: it reads a payload and returns a core event, `None` for payloads the
bot ignores (its own messages, other bots, unsupported subtypes), or raises `SlackPayloadError`
for a payload of the wrong shape. It never raises anything else.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.events import (
    Event,
    MemberJoined,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)

PLATFORM = "slack"
ACTION_PREFIX = "circle:"
POSTED_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_MARKUP = re.compile(r"<([^<>]*)>")
_ID = re.compile(r"^[CGDUW][A-Z0-9]{2,}$")
_MAX_TS = 32503680000.0  # year 3000: later "timestamps" are garbage


class SlackPayloadError(ValueError):
    """A Slack payload of the wrong shape (missing keys, wrong types); says what is wrong."""


@dataclass(frozen=True)
class Workspace:
    """What the adapter knows about its workspace: the bot's ids and the workspace URL."""

    bot_user_id: str | None = None
    bot_id: str | None = None
    url: str | None = None  # `https://circle.slack.com/` from auth.test


@dataclass(frozen=True)
class HomeOpened:
    """Someone opened the bot's App Home tab."""

    community: str
    user: str
    event_id: str


# ----- small typed readers --------------------------------------------------------------------


def get_typed(data: Mapping[str, Any], key: str, kind: type, *, where: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise SlackPayloadError(f"{where}.{key} must be a {kind.__name__}, got {value!r:.60}")
    return value


def opt_str(data: Mapping[str, Any], key: str, *, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise SlackPayloadError(f"{where}.{key} must be a string, got {value!r:.60}")
    return value


def as_mapping(value: Any, *, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SlackPayloadError(f"{where} must be an object, got {type(value).__name__}")
    return value


def slack_time(ts: Any) -> datetime:
    """A Slack timestamp (`"1750000000.000100"` or seconds) as an aware UTC datetime."""
    try:
        seconds = float(ts)
    except (TypeError, ValueError, OverflowError):
        raise SlackPayloadError(f"not a Slack timestamp: {ts!r:.60}") from None
    if isinstance(ts, bool) or not 0 <= seconds < _MAX_TS:
        raise SlackPayloadError(f"timestamp out of range: {ts!r:.60}")
    return datetime.fromtimestamp(seconds, tz=UTC)


def community_of(team_id: str) -> str:
    """The core community id of a Slack workspace."""
    return f"{PLATFORM}:{team_id}"


def looks_like_id(value: str) -> bool:
    """True for Slack conversation or user ids (`C0123ABC`, `G...`, `D...`, `U...`)."""
    return bool(_ID.match(value))


# ----- text -----------------------------------------------------------------------------------


def mentions_of(text: str) -> tuple[str, ...]:
    """User ids mentioned as `<@U123>` in message text, first-seen order, without repeats."""
    return tuple(dict.fromkeys(_MENTION.findall(text)))


def mass_mention(text: str) -> bool:
    """True when the text pings everyone (`<!channel>`, `<!here>`, `<!everyone>`)."""
    return any(f"<!{who}" in text for who in ("channel", "here", "everyone"))


def decode_text(text: str) -> str:
    """Slack markup to plain text: `<@U1>` -> `@U1`, `<#C1|help>` -> `#help`, links -> URLs."""

    def plain(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return target
        if target.startswith("#"):
            return f"#{label}" if label else target
        if target.startswith("!"):
            word = target[1:].split("^", 1)[0]
            return label or f"@{word}"
        return target

    return html.unescape(_MARKUP.sub(plain, text))


def permalink(workspace: Workspace, channel: str, ts: str, thread: str | None = None) -> str | None:
    """The message's web link, built like `chat.getPermalink` does (None without a URL)."""
    if not workspace.url or not ts.replace(".", "").isdigit():
        return None
    link = f"{workspace.url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
    if thread and thread != ts:
        link += f"?thread_ts={thread}&cid={channel}"
    return link


# ----- Events API -----------------------------------------------------------------------------


def translate_event(body: Mapping[str, Any], *, workspace: Workspace = Workspace()) -> Event | None:
    """An `event_callback` body as a core event; None when the bot ignores it."""
    body = as_mapping(body, where="body")
    team = get_typed(body, "team_id", str, where="body")
    event_id = get_typed(body, "event_id", str, where="body")
    event = as_mapping(body.get("event"), where="body.event")
    kind = get_typed(event, "type", str, where="event")
    common: dict[str, Any] = {
        "platform": PLATFORM,
        "event_id": event_id,
        "community": community_of(team),
    }
    if kind in ("message", "app_mention"):
        return _message(event, common, workspace)
    if kind == "member_joined_channel":
        return _member_joined_channel(event, common, body, workspace)
    if kind == "team_join":
        return _team_join(event, common, body)
    if kind in ("reaction_added", "reaction_removed"):
        return _reaction(event, common, body, workspace)
    return None


def home_opened(body: Mapping[str, Any]) -> HomeOpened | None:
    """An `app_home_opened` event on the Home tab; None for other events or tabs."""
    body = as_mapping(body, where="body")
    event = as_mapping(body.get("event"), where="body.event")
    if event.get("type") != "app_home_opened" or event.get("tab", "home") != "home":
        return None
    team = get_typed(body, "team_id", str, where="body")
    return HomeOpened(
        community=community_of(team),
        user=get_typed(event, "user", str, where="event"),
        event_id=get_typed(body, "event_id", str, where="body"),
    )


def _event_time(event: Mapping[str, Any], body: Mapping[str, Any]) -> datetime:
    if "event_ts" in event:
        return slack_time(event["event_ts"])
    return slack_time(body.get("event_time"))


def _is_own(message: Mapping[str, Any], workspace: Workspace) -> bool:
    user, bot = message.get("user"), message.get("bot_id")
    return bool(
        (workspace.bot_user_id and user == workspace.bot_user_id)
        or (workspace.bot_id and bot == workspace.bot_id)
    )


def _is_bot(message: Mapping[str, Any]) -> bool:
    return bool(message.get("bot_id")) or message.get("subtype") == "bot_message"


def _message(
    event: Mapping[str, Any], common: dict[str, Any], workspace: Workspace
) -> Event | None:
    subtype = event.get("subtype")
    if subtype == "message_changed":
        return _edited(event, common, workspace)
    if subtype == "message_deleted":
        return _deleted(event, common, workspace)
    if subtype not in POSTED_SUBTYPES or _is_bot(event) or _is_own(event, workspace):
        return None
    channel = get_typed(event, "channel", str, where="event")
    ts = get_typed(event, "ts", str, where="event")
    user = get_typed(event, "user", str, where="event")
    raw = opt_str(event, "text", where="event") or ""
    thread = opt_str(event, "thread_ts", where="event")
    thread = thread if thread and thread != ts else None
    files = event.get("files") or []
    if not isinstance(files, list):
        raise SlackPayloadError("event.files must be a list")
    names = tuple(
        str(f.get("name") or f.get("id")) for f in files if isinstance(f, Mapping) and f.get("id")
    )
    channel_type = event.get("channel_type")
    return MessagePosted(
        **{**common, "event_id": f"msg:{channel}:{ts}"},
        at=slack_time(ts),
        user=user,
        channel=channel,
        message_id=ts,
        text=decode_text(raw),
        thread=thread,
        reply_to=thread,
        mentions=mentions_of(raw),
        mass_mention=mass_mention(raw),
        is_direct=channel_type == "im" or (channel_type is None and channel.startswith("D")),
        attachments=names,
        permalink=permalink(workspace, channel, ts, thread),
    )


def _edited(
    event: Mapping[str, Any], common: dict[str, Any], workspace: Workspace
) -> MessageEdited | None:
    current = as_mapping(event.get("message"), where="event.message")
    previous = event.get("previous_message")
    if _is_bot(current) or _is_own(current, workspace):
        return None
    text = opt_str(current, "text", where="event.message") or ""
    if isinstance(previous, Mapping) and previous.get("text") == text:
        return None  # unfurls and reply counts also send message_changed
    ts = get_typed(current, "ts", str, where="event.message")
    thread = opt_str(current, "thread_ts", where="event.message")
    return MessageEdited(
        **common,
        at=slack_time(event.get("event_ts", event.get("ts"))),
        user=get_typed(current, "user", str, where="event.message"),
        channel=get_typed(event, "channel", str, where="event"),
        message_id=ts,
        text=decode_text(text),
        thread=thread if thread and thread != ts else None,
    )


def _deleted(
    event: Mapping[str, Any], common: dict[str, Any], workspace: Workspace
) -> MessageDeleted | None:
    previous = event.get("previous_message")
    previous = previous if isinstance(previous, Mapping) else {}
    if _is_bot(previous) or _is_own(previous, workspace):
        return None
    ts = get_typed(event, "deleted_ts", str, where="event")
    thread = opt_str(previous, "thread_ts", where="event.previous_message")
    return MessageDeleted(
        **common,
        at=slack_time(event.get("event_ts", event.get("ts"))),
        user=opt_str(previous, "user", where="event.previous_message") or "unknown",
        channel=get_typed(event, "channel", str, where="event"),
        message_id=ts,
        thread=thread if thread and thread != ts else None,
    )


def _member_joined_channel(
    event: Mapping[str, Any],
    common: dict[str, Any],
    body: Mapping[str, Any],
    workspace: Workspace,
) -> MemberJoined | None:
    user = get_typed(event, "user", str, where="event")
    if user == workspace.bot_user_id:
        return None
    return MemberJoined(
        **common,
        at=_event_time(event, body),
        user=user,
        channel=get_typed(event, "channel", str, where="event"),
    )


def _team_join(
    event: Mapping[str, Any], common: dict[str, Any], body: Mapping[str, Any]
) -> MemberJoined | None:
    user = as_mapping(event.get("user"), where="event.user")
    if user.get("is_bot") or user.get("is_app_user"):
        return None
    return MemberJoined(
        **common,
        at=_event_time(event, body),
        user=get_typed(user, "id", str, where="event.user"),
        user_name=display_name(user),
    )


def _reaction(
    event: Mapping[str, Any],
    common: dict[str, Any],
    body: Mapping[str, Any],
    workspace: Workspace,
) -> ReactionAdded | ReactionRemoved | None:
    item = as_mapping(event.get("item"), where="event.item")
    user = get_typed(event, "user", str, where="event")
    if item.get("type") != "message" or user == workspace.bot_user_id:
        return None
    kind = ReactionAdded if event.get("type") == "reaction_added" else ReactionRemoved
    emoji = get_typed(event, "reaction", str, where="event").split("::", 1)[0]
    if not emoji:
        raise SlackPayloadError("event.reaction is empty")
    return kind(
        **common,
        at=_event_time(event, body),
        user=user,
        channel=get_typed(item, "channel", str, where="event.item"),
        message_id=get_typed(item, "ts", str, where="event.item"),
        emoji=emoji,
        message_author=opt_str(event, "item_user", where="event"),
    )


def display_name(user: Mapping[str, Any]) -> str | None:
    """The name people see: profile display name, else real name, else handle."""
    profile = user.get("profile")
    profile = profile if isinstance(profile, Mapping) else {}
    for value in (profile.get("display_name"), profile.get("real_name"), user.get("name")):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None
