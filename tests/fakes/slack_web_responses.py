"""Realistic Slack Web API answers for the fake server, with a little workspace state."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Args = dict[str, Any]


@dataclass
class SlackWorkspace:
    """Identity of the fake workspace and bot, plus state the answers depend on."""

    team_id: str = "T0CIRCLE1"
    team_name: str = "Circle Community"
    team_domain: str = "circle-community"
    app_id: str = "A0CIRCLE1"
    bot_id: str = "B0CIRCLE1"
    bot_user_id: str = "U0CIRCLEBOT"
    bot_name: str = "circlebot"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    reactions: set[tuple[str, str, str]] = field(default_factory=set)
    dms: dict[str, str] = field(default_factory=dict)
    _clock: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_ts(self) -> str:
        """A new message timestamp, increasing, Slack-formatted (`seconds.micros`)."""
        return f"1760000000.{next(self._clock):06d}"

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        is_bot: bool = False,
        tz: str = "UTC",
        is_admin: bool = False,
        is_owner: bool = False,
    ) -> None:
        """Register a user so users.info and users.list answer with it."""
        user = _user(self.team_id, user_id, name=name, is_bot=is_bot, tz=tz)
        user.update(is_admin=is_admin, is_owner=is_owner)
        self.users[user_id] = user

    def add_channel(self, channel_id: str, *, name: str, members: list[str] | None = None) -> None:
        """Register a channel for conversations.info and conversations.members."""
        self.channels[channel_id] = _channel(channel_id, name=name)
        self.members[channel_id] = list(members or [])


def _user(team_id: str, user_id: str, *, name: str, is_bot: bool, tz: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "team_id": team_id,
        "name": name,
        "deleted": False,
        "real_name": name.title(),
        "tz": tz,
        "tz_offset": 0,
        "is_admin": False,
        "is_bot": is_bot,
        "is_app_user": False,
        "updated": 1760000000,
        "profile": {"real_name": name.title(), "display_name": name, "team": team_id},
    }


def _channel(channel_id: str, *, name: str) -> dict[str, Any]:
    is_im = channel_id.startswith("D")
    return {
        "id": channel_id,
        "name": name,
        "is_channel": not is_im,
        "is_group": False,
        "is_im": is_im,
        "is_private": False,
        "is_archived": False,
        "is_general": name == "general",
        "is_member": True,
        "created": 1700000000,
        "creator": "U0FOUNDER1",
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
    }


def _decoded(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("[", "{"):
        return json.loads(value)
    return value


def _bot_message(ws: SlackWorkspace, args: Args, ts: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "message",
        "subtype": "bot_message",
        "text": args.get("text", ""),
        "ts": ts,
        "user": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "app_id": ws.app_id,
        "team": ws.team_id,
        "bot_profile": {"id": ws.bot_id, "app_id": ws.app_id, "name": ws.bot_name},
    }
    if "blocks" in args:
        message["blocks"] = _decoded(args["blocks"])
    if "thread_ts" in args:
        message["thread_ts"] = args["thread_ts"]
    return message


def _auth_test(ws: SlackWorkspace, args: Args) -> dict[str, Any]:
    return {
        "ok": True,
        "url": f"https://{ws.team_domain}.slack.com/",
        "team": ws.team_name,
        "user": ws.bot_name,
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


def _post_message(ws: SlackWorkspace, args: Args) -> dict[str, Any]:
    if not args.get("channel"):
        return {"ok": False, "error": "channel_not_found"}
    if not args.get("text") and not args.get("blocks") and not args.get("attachments"):
        return {"ok": False, "error": "no_text"}
    ts = ws.next_ts()
    return {"ok": True, "channel": args["channel"], "ts": ts, "message": _bot_message(ws, args, ts)}


def _post_ephemeral(ws: SlackWorkspace, args: Args) -> dict[str, Any]:
    if not args.get("channel"):
        return {"ok": False, "error": "channel_not_found"}
    if not args.get("user"):
        return {"ok": False, "error": "user_not_in_channel"}
    return {"ok": True, "message_ts": ws.next_ts()}


def _update(ws: SlackWorkspace, args: Args) -> dict[str, Any]:
    if not args.get("ts"):
        return {"ok": False, "error": "message_not_found"}
    return {
        "ok": True,
        "channel": args.get("channel", ""),
        "ts": args["ts"],
        "text": args.get("text", ""),
        "message": _bot_message(ws, args, args["ts"]),
    }


def _delete(ws: SlackWorkspace, args: Args) -> dict[str, Any]:
    if not args.get("ts"):
        return {"ok": False, "error": "message_not_found"}
    return {"ok": True, "channel": args.get("channel", ""), "ts": args["ts"]}


def _permalink(ws: SlackWorkspace, args: Args) -> dict[str, Any]:
    channel, ts = args.get("channel", ""), str(args.get("message_ts", ""))
    link = f"https://{ws.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
    return {"ok": True, "channel": channel, "permalink": link}


def _open(ws: SlackWorkspace, args: Args) -> dict[str, Any]:
    users = str(args.get("users", ""))
    if not users:
        return {"ok": False, "error": "users_list_not_supplied"}
    channel_id = ws.dms.setdefault(users, f"D{len(ws.dms) + 1:08d}")
    return {"ok": True, "channel": {"id": channel_id}}


def _info(ws: SlackWorkspace, args: Args) -> dict[str, Any]:
    channel_id = str(args.get("channel", ""))
    if not channel_id:
        return {"ok": False, "error": "channel_not_found"}
    channel = ws.channels.get(channel_id) or _channel(channel_id, name=channel_id.lower())
    return {"ok": True, "channel": channel}


def _members(ws: SlackWorkspace, args: Args) -> dict[str, Any]:
    channel_id = str(args.get("channel", ""))
    if not channel_id:
        return {"ok": False, "error": "channel_not_found"}
    members = ws.members.get(channel_id, [])
    return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}


def _list(ws: SlackWorkspace, args: Args) -> dict[str, Any]:
    channels = [c for c in ws.channels.values() if not c["is_im"]]
    return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}


def _users_list(ws: SlackWorkspace, args: Args) -> dict[str, Any]:
    members = list(ws.users.values())
    return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}


def _users_info(ws: SlackWorkspace, args: Args) -> dict[str, Any]:
    user_id = str(args.get("user", ""))
    if not user_id:
        return {"ok": False, "error": "user_not_found"}
    default = _user(ws.team_id, user_id, name=user_id.lower(), is_bot=False, tz="UTC")
    return {"ok": True, "user": ws.users.get(user_id, default)}


def _reaction_key(args: Args) -> tuple[str, str, str]:
    return (str(args.get("channel", "")), str(args.get("timestamp", "")), str(args.get("name", "")))


def _reactions_add(ws: SlackWorkspace, args: Args) -> dict[str, Any]:
    key = _reaction_key(args)
    if key in ws.reactions:
        return {"ok": False, "error": "already_reacted"}
    ws.reactions.add(key)
    return {"ok": True}


def _reactions_remove(ws: SlackWorkspace, args: Args) -> dict[str, Any]:
    key = _reaction_key(args)
    if key not in ws.reactions:
        return {"ok": False, "error": "no_reaction"}
    ws.reactions.discard(key)
    return {"ok": True}


def _view(ws: SlackWorkspace, args: Args, kind: str) -> dict[str, Any]:
    view = _decoded(args.get("view")) or {}
    if not isinstance(view, dict):
        return {"ok": False, "error": "invalid_arguments"}
    view_id = f"V{ws.next_ts().replace('.', '')[-9:]}"
    return {
        "ok": True,
        "view": {
            "id": view_id,
            "team_id": ws.team_id,
            "type": view.get("type", kind),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "hash": f"{ws.next_ts()}.abcd",
            "root_view_id": view_id,
            "app_id": ws.app_id,
            "bot_id": ws.bot_id,
        },
    }


def _views_publish(ws: SlackWorkspace, args: Args) -> dict[str, Any]:
    if not args.get("user_id"):
        return {"ok": False, "error": "invalid_arguments"}
    return _view(ws, args, "home")


def _views_open(ws: SlackWorkspace, args: Args) -> dict[str, Any]:
    if not args.get("trigger_id"):
        return {"ok": False, "error": "invalid_trigger_id"}
    return _view(ws, args, "modal")


ANSWERS: dict[str, Callable[[SlackWorkspace, Args], dict[str, Any]]] = {
    "auth.test": _auth_test,
    "chat.postMessage": _post_message,
    "chat.postEphemeral": _post_ephemeral,
    "chat.update": _update,
    "chat.delete": _delete,
    "chat.getPermalink": _permalink,
    "conversations.open": _open,
    "conversations.info": _info,
    "conversations.members": _members,
    "conversations.list": _list,
    "users.list": _users_list,
    "users.info": _users_info,
    "reactions.add": _reactions_add,
    "reactions.remove": _reactions_remove,
    "views.publish": _views_publish,
    "views.open": _views_open,
}


def answer(ws: SlackWorkspace, method: str, args: Args) -> dict[str, Any]:
    """The answer Slack would give to `method` called with `args`."""
    handler = ANSWERS.get(method)
    if handler is None:
        return {"ok": False, "error": "unknown_method"}
    return handler(ws, args)
