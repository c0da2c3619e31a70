"""What the welcome rule says: templates with `{member}`, `{community}`, channels and norms."""

from __future__ import annotations

from collections.abc import Sequence

from bot.circle_config import CommunitySection

FULL = (
    "Welcome to {community}, {member}! 👋 We're glad you're here.\n"
    "Our circle's norms:\n{norms}\n"
    "{invite}"
)
PUBLIC = "Please welcome {member} to {community}! 👋"
FOLLOW_UP = (
    "Hi {member}! Just a friendly note from {community}: we'd love to hear a little about you "
    "in {intro_channel} (who you are, what brings you here) whenever you feel like it. "
    "I won't ask again. 🙂"
)
BURST = (
    "A warm welcome to everyone who just joined {community}: {members}! 👋\n"
    "Our circle's norms:\n{norms}\n"
    "{invite}"
)


def mention(user: str) -> str:
    """A platform mention (`<@id>` renders as the member's name on Slack and Discord)."""
    return f"<@{user}>"


def channel_ref(channel: str) -> str:
    return channel if channel.startswith(("#", "<#")) else f"#{channel}"


def norms_list(norms: Sequence[str]) -> str:
    return "\n".join(f"• {norm}" for norm in norms)


def invite_line(section: CommunitySection) -> str:
    """The closing line: an invitation to introduce oneself, and where the rules are."""
    parts = []
    if section.intro_channel:
        parts.append(
            f"When you're ready, say hello in {channel_ref(section.intro_channel)}: "
            "who you are and what brings you here."
        )
    if section.rules_channel:
        parts.append(f"The full rules are in {channel_ref(section.rules_channel)}.")
    return " ".join(parts) or "Say hello whenever you're ready: questions are always welcome."


def values(section: CommunitySection, **extra: str) -> dict[str, str]:
    """Placeholder values shared by every template."""
    return {
        "community": section.name,
        "rules_channel": channel_ref(section.rules_channel)
        if section.rules_channel
        else "the rules",
        "intro_channel": (
            channel_ref(section.intro_channel) if section.intro_channel else "the intro channel"
        ),
        "norms": norms_list(section.norms),
        "invite": invite_line(section),
        **extra,
    }


def render(template: str, section: CommunitySection, **extra: str) -> str:
    """Fill a (validated) template; the result is trimmed of blank trailing lines."""
    return template.format_map(values(section, **extra)).strip()


def names(users: Sequence[str], shown: int) -> str:
    """`<@a>, <@b> and 3 others`."""
    mentions = [mention(u) for u in users[:shown]]
    hidden = len(users) - len(mentions)
    if hidden > 0:
        return ", ".join(mentions) + f" and {hidden} other{'s' if hidden > 1 else ''}"
    if len(mentions) == 1:
        return mentions[0]
    return ", ".join(mentions[:-1]) + " and " + mentions[-1]


def burst_notice(*, count: int, threshold: int, window: str, channel: str | None, who: str) -> str:
    where = f" in {channel_ref(channel)}" if channel else ""
    posted = (
        f"I welcomed the latest {count} together in one post{where} instead of one post each"
        if channel
        else f"I had no channel to welcome the latest {count} in (set `welcome.channel`)"
    )
    return (
        f"Heads-up: more than {threshold} members joined within {window}. {posted}: {who}. "
        "If this looks like a raid, please check these accounts."
    )
