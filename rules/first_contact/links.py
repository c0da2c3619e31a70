"""Pure text helpers of the first-contact guard: links, invites, mass mentions, fingerprints."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

# Fenced blocks need a closing fence: an unclosed ``` renders as plain text, links included.
_FENCED = re.compile(r"```.*?```", re.DOTALL)
_INLINE = re.compile(r"`[^`\n]+`")
# Slack wraps links as <https://x.y|label>; Discord hides embeds with <https://x.y>.
_SCHEME_URL = re.compile(r"(?i)\b(?:https?|ftp)://[^\s<>|\"'`]+")
_WWW_URL = re.compile(r"(?i)(?<![\w./@-])www\.[^\s<>|\"'`]+")
_BARE_DOMAIN = re.compile(
    r"(?i)(?<![\w./@:-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?:com|net|org|io|co|gg|me|ly|xyz|app|dev|info|biz|ru|shop|site|online|top|link|club"
    r"|live|store|tk|ml|ga|cf|cc|to|su|vip|click|icu|win|bid|fun|space|website|pro)"
    r")(?=[/:?#\s)\]>,!;]|\.(?:\s|$)|$)(?:[/?#][^\s<>|\"'`]*)?"
)
_SLACK_MASS = re.compile(r"<!(?:everyone|here|channel)(?:\|[^>]*)?>")
_TEXT_MASS = re.compile(r"(?<![\w@])@(?:everyone|here|channel)\b")
_TRAILING = ".,;:!?)]}'\">*_~"

# Hosts (and path prefixes) that invite people to join another community.
INVITE_HOSTS: dict[str, str] = {
    "discord.gg": "",
    "discord.com": "/invite/",
    "discordapp.com": "/invite/",
    "discord.me": "",
    "join.slack.com": "",
    "t.me": "",
    "telegram.me": "",
    "chat.whatsapp.com": "",
}


@dataclass(frozen=True)
class Link:
    """A link found in a message: the text as written, its host, and whether it is an invite."""

    url: str
    domain: str
    is_invite: bool


def strip_code(text: str) -> str:
    """The text without closed ``` fenced blocks and `inline code` (links there are not live)."""
    if "`" not in text:
        return text
    without_fences = _FENCED.sub(" ", text)
    return _INLINE.sub(" ", without_fences)


def _host_of(raw: str) -> str:
    candidate = raw if "://" in raw else f"http://{raw}"
    try:
        host = urlsplit(candidate).hostname or ""
    except ValueError:
        return ""
    return host.strip(".").lower()


def _is_invite(host: str, raw: str) -> bool:
    candidate = raw if "://" in raw else f"http://{raw}"
    try:
        path = urlsplit(candidate).path.lower()
    except ValueError:
        path = ""
    for invite_host, prefix in INVITE_HOSTS.items():
        if host == invite_host or host.endswith("." + invite_host):
            return not prefix or path.startswith(prefix)
    return False


def find_links(text: str) -> list[Link]:
    """Every live link in `text`, in order, ignoring code blocks and inline code."""
    if "." not in text:
        return []  # a link is kept only when its host has a dot, and the host is in the text
    live = strip_code(text)
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_SCHEME_URL, _WWW_URL, _BARE_DOMAIN):
        for match in pattern.finditer(live):
            start, end = match.span()
            if any(s <= start < e for s, e in taken):
                continue
            taken.append((start, end))
            found.append((start, match.group(0).rstrip(_TRAILING)))
    links = []
    for _, raw in sorted(found):
        host = _host_of(raw)
        if not host or "." not in host:
            continue
        links.append(Link(url=raw, domain=host, is_invite=_is_invite(host, raw)))
    return links


def normalize_domain(entry: str) -> str:
    """An allowlist entry as a bare lowercase host: `*.Example.com/` -> `example.com`."""
    entry = entry.strip().lower()
    if "://" in entry:
        entry = _host_of(entry)
    entry = entry.split("/", 1)[0].split(":", 1)[0]
    return entry.removeprefix("*.").strip(".")


def domain_allowed(domain: str, allowlist: Iterable[str]) -> bool:
    """True when `domain` is an allowlisted domain or one of its subdomains."""
    host = domain.strip(".").lower()
    for entry in allowlist:
        allowed = normalize_domain(entry)
        if allowed and (host == allowed or host.endswith("." + allowed)):
            return True
    return False


def disallowed_links(text: str, allowlist: Iterable[str]) -> list[Link]:
    """Links in `text` whose domain is not on the allowlist."""
    allowed = list(allowlist)
    return [link for link in find_links(text) if not domain_allowed(link.domain, allowed)]


def has_mass_mention(text: str) -> bool:
    """`@everyone`, `@here` or `@channel` (typed or Slack-encoded) outside code."""
    if "@" not in text and "<!" not in text:
        return False  # what both patterns need
    live = strip_code(text)
    return bool(_SLACK_MASS.search(live) or _TEXT_MASS.search(live))


def fingerprint(text: str) -> str:
    """A short digest of the text, insensitive to case and spacing (for cross-post detection)."""
    normalized = " ".join(text.lower().split())
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:32]


def significant_length(text: str) -> int:
    """How many non-space characters the text has (short greetings are never cross-posts)."""
    return len("".join(text.split()))
