"""Digests through the engine with every shipped rule: contents, schedule, preview, member DMs."""

from __future__ import annotations

import logging

import pytest

from bot.actions import Action, Card, DirectMessage, Ephemeral, Post, Reply
from bot.adapter import Capabilities
from rules.digests import sections
from rules.digests.settings import DigestsSettings
from tests.harness import Harness

CONFIG = """
community:
  moderators_channel: mods
  intro_channel: intros
  moderators:
    users: [mod]
"""


async def _make(url: str, extra: str = "", caps: Capabilities | None = None) -> Harness:
    return await Harness.create(url, CONFIG + extra, capabilities=caps)


def digests(actions: list[Action]) -> list[Action]:
    return [a for a in actions if a.card and a.card.title.startswith("Circle digest")]


def section(card: Card, heading: str) -> tuple[str, ...]:
    for s in card.sections:
        if s.heading.startswith(heading):
            return s.lines
    raise AssertionError(f"no section {heading!r} in {[s.heading for s in card.sections]}")


async def _busy_monday(h: Harness) -> None:
    await h.join("newbie")
    await h.message(
        "newbie", "Hi all, I'm Newbie and I build small robots at home", channel="intros"
    )
    await h.join("quiet")
    await h.join("spammer")
    await h.message("spammer", "Cheap followers here https://buy-followers.example")
    q = await h.message("alice", "how do I mount a usb disk?", channel="help")
    await h.advance("10m")
    await h.message(
        "bob", "udisksctl mount -b /dev/sdb1 works", thread=q.message_id, channel="help"
    )
    await h.message("carol", "how do I resize a partition without losing data?", channel="help")
    await h.command("mod", "prompt now")
    prompt = next(a for a in h.sent if (a.tag or "").startswith("prompt:"))
    index = h.sent.index(prompt)
    assert isinstance(prompt, Post)
    root = f"bot{sum(1 for a in h.sent[: index + 1] if isinstance(a, Post | Reply))}"
    await h.advance("30m")
    await h.message("alice", "I learned about udisks", thread=root)
    await h.message("dan", "Learned to ask earlier", thread=root)
    for n in range(12):
        await h.message("alice", f"chatting {n}", channel="random")


async def test_daily_digest_sections_read_through_the_contracts(sqlite_url: str) -> None:
    h = await _make(sqlite_url)
    await _busy_monday(h)
    await h.advance("1d")  # Tuesday 09:00 UTC: the daily digest
    [digest] = digests(h.sent)
    assert isinstance(digest, Post) and digest.channel == "mods"
    card = digest.card
    assert card is not None and "daily" in card.title and "daily digest" in digest.text
    unanswered = section(card, "Unanswered questions")
    assert len(unanswered) == 1 and "#help" in unanswered[0] and "@carol" in unanswered[0]
    assert "old" in unanswered[0] and "resize a partition" in unanswered[0]
    assert section(card, "Questions and answers")[0].startswith("2 asked, 1 answered")
    assert "median time to first answer 10m" in section(card, "Questions and answers")[0]
    newcomers = section(card, "New members")
    assert any("@newbie joined and introduced themselves" in line for line in newcomers)
    assert any("@quiet joined, no introduction yet" in line for line in newcomers)
    held = section(card, "Held for review")
    assert held[0].startswith("H1 @spammer") and "buy-followers" in held[0]
    [engagement] = section(card, "Open questions to the circle")
    assert "2 replies from 2 members, first after 30m" in engagement
    [breadth] = section(card, "Participation")
    # the held spam never counts; alice wrote 14 of 18 messages
    assert breadth == "5 voices, 18 messages; the top 10% of posters (1 member) wrote 78%"
    assert section(card, "Helpers") == ("@bob 1 answer",)
    public = [a for a in h.sent if isinstance(a, Post) and a.channel != "mods"]
    assert all("answer" not in (a.card.title if a.card else "") for a in public)
    await h.close()


async def test_daily_on_other_days_weekly_on_monday(sqlite_url: str) -> None:
    h = await _make(sqlite_url)
    await h.advance("7d")
    titles = [a.card.title for a in digests(h.sent) if a.card]
    assert [t.split(")")[0] for t in titles] == ["Circle digest (daily"] * 6 + [
        "Circle digest (weekly"
    ]
    assert titles[-1].endswith("Mon 30 Nov 2026")
    await h.close()


async def test_digest_now_is_a_private_preview_for_moderators(sqlite_url: str) -> None:
    h = await _make(sqlite_url, caps=Capabilities(rich_cards=False))
    refused = await h.command("alice", "digest now")
    assert "for moderators" in refused[0].text
    [preview] = await h.command("mod", "digest now weekly")
    assert isinstance(preview, Ephemeral) and preview.card is None  # plain text here
    assert preview.text.startswith("Circle digest (weekly)")
    for heading in ("Unanswered questions", "New members", "Held for review", "Participation"):
        assert f"*{heading}" in preview.text
    await h.close()


async def test_subscribers_get_open_questions_from_their_channels(sqlite_url: str) -> None:
    h = await _make(sqlite_url, "digests:\n  daily: null\n  weekly: null\n")
    assert "weekly DM" in (await h.command("alice", "digest subscribe"))[0].text
    assert "already" in (await h.command("alice", "digest subscribe"))[0].text
    await h.message("alice", "morning all", channel="help")
    await h.message("carol", "how do I resize a partition safely?", channel="help")
    await h.message("alice", "how do I change my shell prompt?", channel="help")
    await h.message("dan", "how do I tune postgres for small boxes?", channel="databases")
    await h.advance("7d")
    [dm] = [a for a in h.sent if isinstance(a, DirectMessage) and a.user == "alice" and a.card]
    assert dm.card is not None
    lines = dm.card.sections[0].lines
    assert len(lines) == 1 and "resize a partition" in lines[0] and "#help" in lines[0]
    assert "unsubscribe" in dm.card.footer
    assert "Unsubscribed" in (await h.command("alice", "digest unsubscribe"))[0].text
    before = len(h.sent)
    await h.advance("7d")
    assert not [a for a in h.sent[before:] if isinstance(a, DirectMessage) and a.user == "alice"]
    await h.close()


async def test_a_section_whose_module_cannot_be_imported_is_skipped_and_logged_once(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = sections.importlib.import_module

    def fake(name: str) -> object:
        if name == "rules.welcome.store":
            raise ImportError("not there yet")
        return real(name)

    monkeypatch.setattr(sections.importlib, "import_module", fake)
    monkeypatch.setattr(sections, "_reported", set())
    h = await _make(sqlite_url, "questions:\n  enabled: false\n")
    caplog.set_level(logging.WARNING, logger="rules.digests.sections")
    for _ in range(2):
        [preview] = await h.command("mod", "digest now")
        headings = [s.heading for s in preview.card.sections] if preview.card else []
        assert not any(h_.startswith(("New members", "Unanswered", "Helpers")) for h_ in headings)
        assert "Held for review" in headings
    assert sum("rules.welcome.store" in r.getMessage() for r in caplog.records) == 1
    await h.close()


@pytest.mark.parametrize(
    ("daily", "weekly", "expected"),
    [
        ("09:00", "mon 09:00", "0 9 * * tue,wed,thu,fri,sat,sun"),
        ("08:00", "mon 09:00", "0 8 * * *"),
        ("09:00", None, "0 9 * * *"),
        (None, "mon 09:00", None),
        ("09:00", "daily 09:00", "0 9 * * *"),
    ],
)
def test_daily_cron_stays_quiet_when_the_weekly_digest_goes_out(
    daily: str | None, weekly: str | None, expected: str | None
) -> None:
    assert DigestsSettings(daily=daily, weekly=weekly).daily_cron() == expected
