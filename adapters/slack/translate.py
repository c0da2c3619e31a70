"""Pure translation of Slack payloads (Events API, slash commands, block_actions) into core events.

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
    ButtonPressed,
    CommandInvoked,
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


def _get(data: Mapping[str, Any], key: str, kind: type, *, where: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise SlackPayloadError(f"{where}.{key} must be a {kind.__name__}, got {value!r:.60}")
    return value


def _opt_str(data: Mapping[str, Any], key: str, *, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise SlackPayloadError(f"{where}.{key} must be a string, got {value!r:.60}")
    return value


def _mapping(value: Any, *, where: str) -> Mapping[str, Any]:
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
    body = _mapping(body, where="body")
    team = _get(body, "team_id", str, where="body")
    event_id = _get(body, "event_id", str, where="body")
    event = _mapping(body.get("event"), where="body.event")
    kind = _get(event, "type", str, where="event")
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
    body = _mapping(body, where="body")
    event = _mapping(body.get("event"), where="body.event")
    if event.get("type") != "app_home_opened" or event.get("tab", "home") != "home":
        return None
    team = _get(body, "team_id", str, where="body")
    return HomeOpened(
        community=community_of(team),
        user=_get(event, "user", str, where="event"),
        event_id=_get(body, "event_id", str, where="body"),
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
    channel = _get(event, "channel", str, where="event")
    ts = _get(event, "ts", str, where="event")
    user = _get(event, "user", str, where="event")
    raw = _opt_str(event, "text", where="event") or ""
    thread = _opt_str(event, "thread_ts", where="event")
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
    current = _mapping(event.get("message"), where="event.message")
    previous = event.get("previous_message")
    if _is_bot(current) or _is_own(current, workspace):
        return None
    text = _opt_str(current, "text", where="event.message") or ""
    if isinstance(previous, Mapping) and previous.get("text") == text:
        return None  # unfurls and reply counts also send message_changed
    ts = _get(current, "ts", str, where="event.message")
    thread = _opt_str(current, "thread_ts", where="event.message")
    return MessageEdited(
        **common,
        at=slack_time(event.get("event_ts", event.get("ts"))),
        user=_get(current, "user", str, where="event.message"),
        channel=_get(event, "channel", str, where="event"),
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
    ts = _get(event, "deleted_ts", str, where="event")
    thread = _opt_str(previous, "thread_ts", where="event.previous_message")
    return MessageDeleted(
        **common,
        at=slack_time(event.get("event_ts", event.get("ts"))),
        user=_opt_str(previous, "user", where="event.previous_message") or "unknown",
        channel=_get(event, "channel", str, where="event"),
        message_id=ts,
        thread=thread if thread and thread != ts else None,
    )


def _member_joined_channel(
    event: Mapping[str, Any],
    common: dict[str, Any],
    body: Mapping[str, Any],
    workspace: Workspace,
) -> MemberJoined | None:
    user = _get(event, "user", str, where="event")
    if user == workspace.bot_user_id:
        return None
    return MemberJoined(
        **common,
        at=_event_time(event, body),
        user=user,
        channel=_get(event, "channel", str, where="event"),
    )


def _team_join(
    event: Mapping[str, Any], common: dict[str, Any], body: Mapping[str, Any]
) -> MemberJoined | None:
    user = _mapping(event.get("user"), where="event.user")
    if user.get("is_bot") or user.get("is_app_user"):
        return None
    return MemberJoined(
        **common,
        at=_event_time(event, body),
        user=_get(user, "id", str, where="event.user"),
        user_name=display_name(user),
    )


def _reaction(
    event: Mapping[str, Any],
    common: dict[str, Any],
    body: Mapping[str, Any],
    workspace: Workspace,
) -> ReactionAdded | ReactionRemoved | None:
    item = _mapping(event.get("item"), where="event.item")
    user = _get(event, "user", str, where="event")
    if item.get("type") != "message" or user == workspace.bot_user_id:
        return None
    kind = ReactionAdded if event.get("type") == "reaction_added" else ReactionRemoved
    emoji = _get(event, "reaction", str, where="event").split("::", 1)[0]
    if not emoji:
        raise SlackPayloadError("event.reaction is empty")
    return kind(
        **common,
        at=_event_time(event, body),
        user=user,
        channel=_get(item, "channel", str, where="event.item"),
        message_id=_get(item, "ts", str, where="event.item"),
        emoji=emoji,
        message_author=_opt_str(event, "item_user", where="event"),
    )


def display_name(user: Mapping[str, Any]) -> str | None:
    """The name people see: profile display name, else real name, else handle."""
    profile = user.get("profile")
    profile = profile if isinstance(profile, Mapping) else {}
    for value in (profile.get("display_name"), profile.get("real_name"), user.get("name")):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


# ----- slash commands and interactivity ---------------------------------------------------------


def translate_command(form: Mapping[str, Any], *, now: datetime) -> CommandInvoked:
    """`/circle <text>` form fields as a core command (reply handle: the response_url)."""
    form = _mapping(form, where="command")
    trigger = _get(form, "trigger_id", str, where="command")
    return CommandInvoked(
        platform=PLATFORM,
        event_id=f"cmd:{trigger}",
        community=community_of(_get(form, "team_id", str, where="command")),
        at=now,
        user=_get(form, "user_id", str, where="command"),
        user_name=_opt_str(form, "user_name", where="command"),
        channel=_get(form, "channel_id", str, where="command"),
        text=decode_text(_opt_str(form, "text", where="command") or ""),
        reply_handle=_opt_str(form, "response_url", where="command"),
    )


def translate_action(payload: Mapping[str, Any], *, now: datetime) -> ButtonPressed | None:
    """A `block_actions` press of one of our buttons as a core `ButtonPressed`; else None."""
    payload = _mapping(payload, where="payload")
    if payload.get("type") != "block_actions":
        return None
    actions = payload.get("actions")
    if not isinstance(actions, list):
        raise SlackPayloadError("payload.actions must be a list")
    pressed = next(
        (
            a
            for a in actions
            if isinstance(a, Mapping)
            and isinstance(a.get("action_id"), str)
            and a["action_id"].startswith(ACTION_PREFIX)
        ),
        None,
    )
    if pressed is None:
        return None
    command = _get(pressed, "value", str, where="action")
    user = _mapping(payload.get("user"), where="payload.user")
    user_id = _get(user, "id", str, where="payload.user")
    team = payload.get("team")
    team_id = (
        _opt_str(team, "id", where="payload.team") if isinstance(team, Mapping) else None
    ) or _get(user, "team_id", str, where="payload.user")
    container = payload.get("container")
    container = container if isinstance(container, Mapping) else {}
    channel = _opt_str(container, "channel_id", where="payload.container")
    if channel is None and isinstance(payload.get("channel"), Mapping):
        channel = _opt_str(payload["channel"], "id", where="payload.channel")
    trigger = _get(payload, "trigger_id", str, where="payload")
    return ButtonPressed(
        platform=PLATFORM,
        event_id=f"btn:{trigger}",
        community=community_of(team_id),
        at=now,
        user=user_id,
        user_name=_opt_str(user, "username", where="payload.user"),
        channel=channel or user_id,  # App Home presses have no channel: answer in the DM
        command=command,
        message_id=_opt_str(container, "message_ts", where="payload.container"),
        reply_handle=_opt_str(payload, "response_url", where="payload"),
    )


def shape_problem(body: Any) -> str | None:
    """Why a parsed request body cannot be a Slack request we serve (None when it can be)."""
    if not isinstance(body, Mapping):
        return "the body is not an object"
    kind = body.get("type")
    if "payload" in body and not isinstance(body.get("payload"), Mapping):
        return "payload is not a JSON object"
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, Mapping) or not isinstance(event.get("type"), str):
            return "event_callback without an event object with a type"
    if kind == "block_actions" and not isinstance(body.get("actions"), list):
        return "block_actions without an actions list"
    if kind in ("block_actions", "view_submission", "shortcut", "message_action"):
        user = body.get("user")
        if not isinstance(user, Mapping) or not isinstance(user.get("id"), str):
            return f"{kind} without a user"
    return None
