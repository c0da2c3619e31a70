"""Recorded-shape Slack payload builders (Events API, slash commands, interactivity).

Shapes follow Slack's documented examples (docs.slack.dev/reference/events/*,
docs.slack.dev/reference/interaction-payloads/*); ids are fake but well-formed.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

TEAM_ID = "T0CIRCLE1"
APP_ID = "A0CIRCLE1"
CHANNEL = "C0GENERAL1"
USER = "U0ALICE001"

_counter = itertools.count(1)


def next_ts() -> str:
    """A fresh, increasing Slack timestamp (`seconds.micros`)."""
    return f"1750000000.{next(_counter):06d}"


def event_callback(
    event: dict[str, Any],
    *,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    event_id: str | None = None,
    event_time: int = 1750000000,
) -> dict[str, Any]:
    """The outer Events API envelope around `event`."""
    return {
        "token": "XXYYZZverificationtoken",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_counter):08d}FAKE",
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": "U0CIRCLEBOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-fake-event-context",
    }


def _rich_text(text: str) -> list[dict[str, Any]]:
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return [{"type": "rich_text", "block_id": "bLk1", "elements": [section]}]


def message(
    *,
    text: str,
    user: str = USER,
    channel: str = CHANNEL,
    ts: str | None = None,
    channel_type: str = "channel",
    team: str = TEAM_ID,
) -> dict[str, Any]:
    """A top-level user message (`message.channels`)."""
    ts = ts or next_ts()
    return {
        "client_msg_id": f"0b4c5e1a-0000-4000-8000-{next(_counter):012d}",
        "type": "message",
        "text": text,
        "user": user,
        "ts": ts,
        "blocks": _rich_text(text),
        "team": team,
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type,
    }


def thread_reply(
    *,
    text: str,
    thread_ts: str,
    user: str = USER,
    parent_user_id: str = USER,
    channel: str = CHANNEL,
    ts: str | None = None,
) -> dict[str, Any]:
    """A reply in a thread: same shape plus `thread_ts` and `parent_user_id`."""
    event = message(text=text, user=user, channel=channel, ts=ts)
    event["thread_ts"] = thread_ts
    event["parent_user_id"] = parent_user_id
    return event


def message_changed(
    *, channel: str = CHANNEL, ts: str, old_text: str, new_text: str, user: str = USER
) -> dict[str, Any]:
    """`message_changed` subtype: the edited message and the previous one."""
    edit_ts = next_ts()
    previous: dict[str, Any] = {
        "type": "message",
        "text": old_text,
        "user": user,
        "ts": ts,
        "team": TEAM_ID,
    }
    current = {
        **previous,
        "text": new_text,
        "edited": {"user": user, "ts": edit_ts},
        "blocks": _rich_text(new_text),
    }
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "message": current,
        "previous_message": previous,
        "channel": channel,
        "ts": edit_ts,
        "event_ts": edit_ts,
        "channel_type": "channel",
    }


def message_deleted(
    *, channel: str = CHANNEL, deleted_ts: str, old_text: str = "", user: str = USER
) -> dict[str, Any]:
    """`message_deleted` subtype, with `deleted_ts` and `previous_message`."""
    event_ts = next_ts()
    previous = {"type": "message", "text": old_text, "user": user, "ts": deleted_ts}
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": channel,
        "ts": event_ts,
        "deleted_ts": deleted_ts,
        "event_ts": event_ts,
        "previous_message": previous,
        "channel_type": "channel",
    }


def bot_message(
    *, text: str, bot_id: str = "B0OTHERBOT", channel: str = CHANNEL, username: str = "otherbot"
) -> dict[str, Any]:
    """A `bot_message` subtype (integration or another app, no `user`)."""
    ts = next_ts()
    return {
        "type": "message",
        "subtype": "bot_message",
        "text": text,
        "ts": ts,
        "username": username,
        "bot_id": bot_id,
        "channel": channel,
        "event_ts": ts,
        "channel_type": "channel",
    }


def message_from_app(
    *, text: str, bot_id: str, user: str, app_id: str = APP_ID, channel: str = CHANNEL
) -> dict[str, Any]:
    """A message posted by an app's bot user via chat.postMessage (`bot_id` + `user`)."""
    event = message(text=text, user=user, channel=channel)
    event.pop("client_msg_id")
    event.update(
        bot_id=bot_id, app_id=app_id, bot_profile={"id": bot_id, "app_id": app_id, "name": "bot"}
    )
    return event


def member_joined_channel(
    *, user: str = USER, channel: str = CHANNEL, inviter: str | None = None
) -> dict[str, Any]:
    """`member_joined_channel` (channel_type is a letter: C public, G private)."""
    event: dict[str, Any] = {
        "type": "member_joined_channel",
        "user": user,
        "channel": channel,
        "channel_type": "C",
        "team": TEAM_ID,
        "event_ts": next_ts(),
    }
    if inviter is not None:
        event["inviter"] = inviter
    return event


def team_join(
    *, user_id: str = USER, name: str = "alice", tz: str = "Europe/Paris"
) -> dict[str, Any]:
    """`team_join` with the new member's user object."""
    return {
        "type": "team_join",
        "user": {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "deleted": False,
            "real_name": name.title(),
            "tz": tz,
            "is_bot": False,
            "is_app_user": False,
            "profile": {"real_name": name.title(), "display_name": name, "team": TEAM_ID},
        },
        "cache_ts": 1750000000,
        "event_ts": next_ts(),
    }


def _reaction(
    kind: str, *, user: str, reaction: str, item_user: str, channel: str, ts: str
) -> dict[str, Any]:
    return {
        "type": kind,
        "user": user,
        "reaction": reaction,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": next_ts(),
    }


def reaction_added(
    *,
    ts: str,
    reaction: str = "thumbsup",
    user: str = USER,
    item_user: str = "U0BOB00001",
    channel: str = CHANNEL,
) -> dict[str, Any]:
    """`reaction_added` on a message."""
    return _reaction(
        "reaction_added", user=user, reaction=reaction, item_user=item_user, channel=channel, ts=ts
    )


def reaction_removed(
    *,
    ts: str,
    reaction: str = "thumbsup",
    user: str = USER,
    item_user: str = "U0BOB00001",
    channel: str = CHANNEL,
) -> dict[str, Any]:
    """`reaction_removed` on a message."""
    return _reaction(
        "reaction_removed",
        user=user,
        reaction=reaction,
        item_user=item_user,
        channel=channel,
        ts=ts,
    )


def app_mention(*, text: str, user: str = USER, channel: str = CHANNEL) -> dict[str, Any]:
    """`app_mention` (text contains `<@BOTUSER>`)."""
    event = message(text=text, user=user, channel=channel)
    event["type"] = "app_mention"
    event.pop("channel_type")
    return event


def app_home_opened(
    *, user: str = USER, channel: str = "D0ALICEDM1", tab: str = "home"
) -> dict[str, Any]:
    """`app_home_opened` (no `view` yet: first visit)."""
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": tab,
        "event_ts": next_ts(),
    }


def slash_command(
    *,
    response_url: str,
    command: str = "/circle",
    text: str = "unanswered",
    user_id: str = USER,
    channel_id: str = CHANNEL,
) -> dict[str, str]:
    """Slash command form fields (`/circle unanswered` by default)."""
    return {
        "token": "XXYYZZverificationtoken",
        "team_id": TEAM_ID,
        "team_domain": "circle-community",
        "channel_id": channel_id,
        "channel_name": "general",
        "user_id": user_id,
        "user_name": "alice",
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{next(_counter)}.1234567890.0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    }


def block_actions(
    *,
    response_url: str,
    action_id: str = "question_answered",
    value: str = "q-1",
    user_id: str = USER,
    channel_id: str = CHANNEL,
    message_ts: str | None = None,
    block_id: str = "question_actions",
) -> dict[str, Any]:
    """A button press in a channel message (`block_actions`)."""
    message_ts = message_ts or next_ts()
    button = {
        "type": "button",
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": "Answered", "emoji": True},
        "value": value,
        "action_ts": next_ts(),
    }
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": "alice", "name": "alice", "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "XXYYZZverificationtoken",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": f"{next(_counter)}.1234567890.abcdef0123456789abcdef0123456789",
        "team": {"id": TEAM_ID, "domain": "circle-community"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "general"},
        "message": {
            "type": "message",
            "user": "U0CIRCLEBOT",
            "ts": message_ts,
            "bot_id": "B0CIRCLE1",
            "text": "Was this answered?",
        },
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [button],
    }


def view_submission(
    *,
    callback_id: str = "prompt_suggestion",
    values: dict[str, Any] | None = None,
    user_id: str = USER,
) -> dict[str, Any]:
    """A modal submission (`view_submission`); `values` is `state.values`."""
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "circle-community"},
        "user": {"id": user_id, "username": "alice", "name": "alice", "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "XXYYZZverificationtoken",
        "trigger_id": f"{next(_counter)}.1234567890.abcdef0123456789abcdef0123456789",
        "view": {
            "id": "V0MODAL001",
            "team_id": TEAM_ID,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": "",
            "blocks": [],
            "state": {"values": values or {}},
            "hash": "1750000000.abcd",
            "app_id": APP_ID,
            "bot_id": "B0CIRCLE1",
        },
        "response_urls": [],
        "is_enterprise_install": False,
    }


def as_json(payload: dict[str, Any]) -> str:
    """Compact JSON, as Slack sends it."""
    return json.dumps(payload, separators=(",", ":"))
