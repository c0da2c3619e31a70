"""What the first-contact guard says: short and kind to authors, precise to moderators."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.durations import format_duration
from rules.first_contact.store import held_ref

REASONS = {
    "links": "it has links",
    "invite": "it invites people to another community",
    "mass_mention": "it notifies everyone at once",
    "mentions": "it mentions many people at once",
    "cross_post": "the same message went to several channels",
    "flood": "several messages arrived within a few seconds",
}

SHORT = {
    "links": "links",
    "invite": "invite",
    "mass_mention": "@everyone/@here",
    "mentions": "many mentions",
    "cross_post": "cross-post",
    "flood": "flood",
}


def mention(user: str) -> str:
    """A platform mention (`<@id>` renders as the member's name on Slack and Discord)."""
    return f"<@{user}>"


def channel_ref(channel: str) -> str:
    return channel if channel.startswith(("#", "<#")) else f"#{channel}"


def excerpt(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def quoted(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines() or [""])


def why(reasons: Sequence[str]) -> str:
    """`it has links and it notifies everyone at once`."""
    phrases = [REASONS.get(r, r) for r in reasons]
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]


def author_notice(
    *, name: str, channel: str, reasons: Sequence[str], intro_channel: str | None
) -> str:
    """The DM to the author of a held message: the norm, and how the post gets approved."""
    intro = (
        f" Meanwhile, saying hello in {channel_ref(intro_channel)} helps us get to know you."
        if intro_channel
        else ""
    )
    return (
        f"Hi {name}! I've held your message in {channel_ref(channel)} for a moment, because "
        f"{why(reasons)}. Our circle values conversation before promotion, so a new member's "
        "first posts like this get a quick look from a moderator.\n"
        "Nothing is lost: once a moderator approves it, I'll post it for you. You don't need to "
        f"do anything.{intro} Thanks for understanding!"
    )


def moderator_notice(
    *,
    held_id: int,
    user: str,
    channel: str,
    reasons: Sequence[str],
    details: str,
    text: str,
    joined_ago: timedelta | None,
    messages: int,
    hidden: bool,
) -> str:
    """The moderators' notice of a held message."""
    tenure = f"Joined {format_duration(joined_ago)} ago · " if joined_ago is not None else ""
    earlier = f"{messages} earlier message{'' if messages == 1 else 's'}"
    visibility = (
        "I hid it until you decide."
        if hidden
        else "I can't hide messages here, so it is still visible; please check it."
    )
    return (
        f"Held {held_ref(held_id)} from {mention(user)} in {channel_ref(channel)}: "
        f"{', '.join(SHORT.get(r, r) for r in reasons)}{details}. "
        f"{tenure}{earlier}. {visibility}\n{quoted(excerpt(text, 500))}"
    )


def approved_repost(*, name: str, text: str) -> str:
    return f"Posted by @{name}, approved by a moderator:\n{text}"


def approved_dm(*, name: str, channel: str, reposted: bool) -> str:
    where = (
        f"I've posted it in {channel_ref(channel)}" if reposted else "it stays where you posted it"
    )
    return (
        f"Good news, {name}! A moderator approved your message, and {where}. "
        "Thanks for your patience, and welcome to the conversation!"
    )


def rejected_dm(*, name: str, channel: str) -> str:
    return (
        f"Hi {name}, a moderator looked at your message in {channel_ref(channel)} and decided not "
        "to publish it this time. You're still very welcome here: joining conversations is the "
        "best way in. If you think this was a mistake, `/circle report <your note>` reaches the "
        "moderators privately."
    )
