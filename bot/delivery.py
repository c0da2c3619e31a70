"""Graceful degradation: turn an action into what this platform and community can deliver."""

from __future__ import annotations

from bot.actions import Action, DirectMessage, Ephemeral, NotifyModerators, Post, Respond
from bot.adapter import Capabilities
from bot.circle_config import CommunityConfig


def buttons_as_text(action: Action) -> Action:
    """Without buttons, append each button's command so it can be typed instead."""
    if not action.buttons:
        return action
    hints = "  ".join(f"[{b.label}: /circle {b.command}]" for b in action.buttons)
    return action.model_copy(update={"buttons": (), "text": f"{action.text}\n{hints}".strip()})


def resolve(action: Action, caps: Capabilities, config: CommunityConfig) -> list[Action]:
    """The concrete actions to execute for `action` on a platform with `caps`."""
    resolved: list[Action]
    if isinstance(action, NotifyModerators):
        resolved = _moderators(action, config)
    elif isinstance(action, Respond) and not action.reply_handle and not action.public:
        resolved = [_private(action, caps)]
    elif isinstance(action, Respond) and not action.reply_handle:
        resolved = [Post(**_common(action), channel=action.channel)]
    elif isinstance(action, Ephemeral) and not caps.ephemeral:
        resolved = [DirectMessage(**_common(action), user=action.user)]
    else:
        resolved = [action]
    if not caps.buttons:
        resolved = [buttons_as_text(a) for a in resolved]
    return resolved


def _moderators(action: NotifyModerators, config: CommunityConfig) -> list[Action]:
    section = config.community
    if section.moderators_channel:
        return [Post(**_common(action), channel=section.moderators_channel)]
    if section.moderators.users:
        return [DirectMessage(**_common(action), user=u) for u in section.moderators.users]
    return [action]


def _private(action: Respond, caps: Capabilities) -> Action:
    if caps.ephemeral:
        return Ephemeral(**_common(action), channel=action.channel, user=action.user)
    return DirectMessage(**_common(action), user=action.user)


def _common(action: Action) -> dict[str, object]:
    return {
        "community": action.community,
        "text": action.text,
        "buttons": action.buttons,
        "card": action.card,
        "tag": action.tag,
    }
