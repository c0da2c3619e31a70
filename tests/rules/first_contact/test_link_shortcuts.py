"""The link helpers' early exits (no dot, no @, no backtick) answer what the full scans answer."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rules.first_contact import links
from rules.first_contact.links import Link

PIECES = [
    ".", "@", "`", "```", "<!", "<!here>", "<!channel|x>", "@everyone", "@here", "://",
    "https://", "www.", "discord.gg/x", "example.com", "a.io", "x", "Y", " ", "\n", "/", ":",
    "|", ">", "<", "-", "3.11", "t.me/", "@channel", "İ", "é",
]  # fmt: skip
TEXTS = st.lists(st.sampled_from(PIECES), max_size=14).map("".join) | st.text(max_size=40)


def full_strip_code(text: str) -> str:
    return links._INLINE.sub(" ", links._FENCED.sub(" ", text))


def full_find_links(text: str) -> list[Link]:
    live = full_strip_code(text)
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for pattern in (links._SCHEME_URL, links._WWW_URL, links._BARE_DOMAIN):
        for match in pattern.finditer(live):
            start, end = match.span()
            if any(s <= start < e for s, e in taken):
                continue
            taken.append((start, end))
            found.append((start, match.group(0).rstrip(links._TRAILING)))
    result = []
    for _, raw in sorted(found):
        host = links._host_of(raw)
        if host and "." in host:
            result.append(Link(url=raw, domain=host, is_invite=links._is_invite(host, raw)))
    return result


def full_mass_mention(text: str) -> bool:
    live = full_strip_code(text)
    return bool(links._SLACK_MASS.search(live) or links._TEXT_MASS.search(live))


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_shortcuts_answer_like_the_full_scans(text: str) -> None:
    assert links.strip_code(text) == full_strip_code(text)
    assert links.find_links(text) == full_find_links(text)
    assert links.has_mass_mention(text) is full_mass_mention(text)
