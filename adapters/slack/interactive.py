"""Pure translation of `/circle` slash commands and block_actions presses into core events.

Like `translate.py`: pure, returns None for payloads the bot ignores, raises only
`SlackPayloadError` for payloads of the wrong shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from adapters.slack.translate import (
    ACTION_PREFIX,
    PLATFORM,
    SlackPayloadError,
    as_mapping,
    community_of,
    decode_text,
    get_typed,
    opt_str,
)
from bot.events import ButtonPressed, CommandInvoked


def translate_command(form: Mapping[str, Any], *, now: datetime) -> CommandInvoked:
    """`/circle <text>` form fields as a core command (reply handle: the response_url)."""
    form = as_mapping(form, where="command")
    trigger = get_typed(form, "trigger_id", str, where="command")
    return CommandInvoked(
        platform=PLATFORM,
        event_id=f"cmd:{trigger}",
        community=community_of(get_typed(form, "team_id", str, where="command")),
        at=now,
        user=get_typed(form, "user_id", str, where="command"),
        user_name=opt_str(form, "user_name", where="command"),
        channel=get_typed(form, "channel_id", str, where="command"),
        text=decode_text(opt_str(form, "text", where="command") or ""),
        reply_handle=opt_str(form, "response_url", where="command"),
    )


def translate_action(payload: Mapping[str, Any], *, now: datetime) -> ButtonPressed | None:
    """A `block_actions` press of one of our buttons as a core `ButtonPressed`; else None."""
    payload = as_mapping(payload, where="payload")
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
    command = get_typed(pressed, "value", str, where="action")
    user = as_mapping(payload.get("user"), where="payload.user")
    user_id = get_typed(user, "id", str, where="payload.user")
    team = payload.get("team")
    team_id = (
        opt_str(team, "id", where="payload.team") if isinstance(team, Mapping) else None
    ) or get_typed(user, "team_id", str, where="payload.user")
    container = payload.get("container")
    container = container if isinstance(container, Mapping) else {}
    channel = opt_str(container, "channel_id", where="payload.container")
    if channel is None and isinstance(payload.get("channel"), Mapping):
        channel = opt_str(payload["channel"], "id", where="payload.channel")
    trigger = get_typed(payload, "trigger_id", str, where="payload")
    return ButtonPressed(
        platform=PLATFORM,
        event_id=f"btn:{trigger}",
        community=community_of(team_id),
        at=now,
        user=user_id,
        user_name=opt_str(user, "username", where="payload.user"),
        channel=channel or user_id,  # App Home presses have no channel: answer in the DM
        command=command,
        message_id=opt_str(container, "message_ts", where="payload.container"),
        reply_handle=opt_str(payload, "response_url", where="payload"),
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
