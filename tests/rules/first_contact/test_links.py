"""Link, invite and mention helpers: table-driven cases and properties on hostile input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.first_contact.links import (
    disallowed_links,
    domain_allowed,
    find_links,
    fingerprint,
    has_mass_mention,
    normalize_domain,
    strip_code,
)

LINK_CASES = [
    ("see https://example.com/x.", [("https://example.com/x", "example.com", False)]),
    ("go to www.spam.io now", [("www.spam.io", "www.spam.io", False)]),
    ("bare example.com, not file.py or node.js", [("example.com", "example.com", False)]),
    ("<https://slack.com/x|label>", [("https://slack.com/x", "slack.com", False)]),
    ("join discord.gg/abc", [("discord.gg/abc", "discord.gg", True)]),
    (
        "https://discord.com/invite/xyz https://discord.com/channels/1",
        [
            ("https://discord.com/invite/xyz", "discord.com", True),
            ("https://discord.com/channels/1", "discord.com", False),
        ],
    ),
    (
        "t.me/deals and join.slack.com/t/x",
        [("t.me/deals", "t.me", True), ("join.slack.com/t/x", "join.slack.com", True)],
    ),
    ("http://python.org@evil.com/", [("http://python.org@evil.com/", "evil.com", False)]),
    ("HTTPS://EXAMPLE.COM", [("HTTPS://EXAMPLE.COM", "example.com", False)]),
    ("(see https://a.example/b)", [("https://a.example/b", "a.example", False)]),
    ("email me@example.com", []),
    ("e.g. this, i.e. that", []),
    ("version 3.11.2 and v1.2", []),
    ("`https://inline.example`", []),
    ("```\nhttps://fenced.example\n```", []),
    (
        "```py\nx = 1\n``` then https://after.example",
        [("https://after.example", "after.example", False)],
    ),
    ("``` unclosed https://live.example", [("https://live.example", "live.example", False)]),
]


@pytest.mark.parametrize(("text", "expected"), LINK_CASES, ids=[c[0][:30] for c in LINK_CASES])
def test_find_links(text: str, expected: list[tuple[str, str, bool]]) -> None:
    assert [(link.url, link.domain, link.is_invite) for link in find_links(text)] == expected


ALLOW_CASES = [
    ("python.org", ["python.org"], True),
    ("docs.python.org", ["python.org"], True),
    ("a.b.docs.python.org", ["docs.python.org"], True),
    ("evilpython.org", ["python.org"], False),
    ("python.org.evil.com", ["python.org"], False),
    ("PYTHON.ORG", ["Python.org"], True),
    ("x.github.com", ["*.github.com"], True),
    ("github.com", ["https://github.com/"], True),
    ("gitlab.com", ["github.com"], False),
    ("example.com", [], False),
    ("example.com", [""], False),
]


@pytest.mark.parametrize(("domain", "allowlist", "allowed"), ALLOW_CASES)
def test_domain_allowlist_matches_domains_and_subdomains(
    domain: str, allowlist: list[str], allowed: bool
) -> None:
    assert domain_allowed(domain, allowlist) is allowed


MASS_CASES = [
    ("hey @everyone", True),
    ("@here quick one", True),
    ("<!channel> hi", True),
    ("<!here|here> hi", True),
    ("mail me at bob@here.com", False),
    ("`@everyone` is how you ping", False),
    ("everyone here is nice", False),
]


@pytest.mark.parametrize(("text", "expected"), MASS_CASES)
def test_mass_mentions(text: str, expected: bool) -> None:
    assert has_mass_mention(text) is expected


def test_disallowed_links_and_fingerprints() -> None:
    text = "https://docs.python.org/3 and https://spam.example"
    assert [link.domain for link in disallowed_links(text, ["python.org"])] == ["spam.example"]
    assert fingerprint("Hello   World") == fingerprint("hello world\n")
    assert fingerprint("hello world") != fingerprint("hello there")
    assert normalize_domain(" *.Example.COM/path ") == "example.com"


@given(st.text())
def test_find_links_never_raises_and_finds_hosts_with_dots(text: str) -> None:
    for link in find_links(text):
        assert "." in link.domain and link.url


@given(st.text(alphabet=st.characters(blacklist_characters="`"), max_size=200))
def test_links_inside_code_are_never_live(body: str) -> None:
    text = f"```\n{body} https://inside.example\n```"
    assert all(link.domain != "inside.example" for link in find_links(text))
    assert "inside.example" not in strip_code(f"`https://inside.example` {body}")


labels = st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True)


@given(labels, labels, st.sampled_from(["com", "org", "io"]))
def test_subdomains_are_allowed_and_lookalikes_are_not(sub: str, name: str, tld: str) -> None:
    base = f"{name}.{tld}"
    assert domain_allowed(f"{sub}.{base}", [base])
    assert not domain_allowed(f"{sub}{base}", [base])
    assert not domain_allowed(f"{base}.{sub}.net", [base])
