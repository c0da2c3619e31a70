"""Welcomes through the engine: once per member, in the right place, with the circle's norms."""

from __future__ import annotations

import pytest

from bot.actions import DirectMessage, Post
from bot.circle_config import CircleConfig, ConfigError
from bot.events import MemberJoined
from bot.rule import RuleRegistry
from rules.first_contact import FirstContact
from rules.welcome import Welcome
from rules.welcome.settings import WelcomeSettings
from tests.harness import Harness
from tests.rules.welcome.conftest import MakeHarness


def _welcomes(h: Harness) -> list[Post | DirectMessage]:
    return [a for a in h.sent if isinstance(a, Post | DirectMessage) and "Welcome" in a.text]


async def test_a_newcomer_is_welcomed_with_the_norms_and_an_intro_invitation(wh: Harness) -> None:
    await wh.join("bob", channel="general")
    (post,) = wh.pop()
    assert isinstance(post, Post) and post.channel == "welcome"
    assert post.text.startswith("Welcome to Test Circle, <@bob>!")
    assert "• Be kind.\n• Ask freely." in post.text
    assert "say hello in #intro" in post.text and "#rules" in post.text


@pytest.mark.parametrize(
    ("deliver", "kinds"),
    [("channel", ["post"]), ("dm", ["dm"]), ("both", ["post", "dm"])],
)
async def test_delivery_channel_dm_or_both(
    make: MakeHarness, sqlite_url: str, deliver: str, kinds: list[str]
) -> None:
    h = await make(sqlite_url, f"community:\n  name: C\nwelcome:\n  deliver: {deliver}\n")
    await h.join("bob", channel="general")
    done = h.pop()
    assert [getattr(a, "kind", "") for a in done] == kinds
    if deliver == "both":
        assert done[0].text == "Please welcome <@bob> to C! 👋"
        assert "norms" in done[1].text
    if deliver == "channel":
        assert isinstance(done[0], Post) and done[0].channel == "general"  # where they joined


async def test_templates_fill_every_placeholder(make: MakeHarness, sqlite_url: str) -> None:
    config = (
        "community:\n  name: C\n  intro_channel: intro\n  rules_channel: rules\n"
        "  norms: [One.]\n"
        "welcome:\n  channel: lobby\n"
        "  message: 'Hi {member} in {community}; read {rules_channel},"
        " then {intro_channel}. {norms}'\n"
    )
    h = await make(sqlite_url, config)
    await h.join("bob")
    (post,) = h.pop()
    assert isinstance(post, Post) and post.channel == "lobby"
    assert post.text == "Hi <@bob> in C; read #rules, then #intro. • One."


def test_unknown_placeholders_are_config_errors() -> None:
    registry = RuleRegistry([Welcome, FirstContact])
    with pytest.raises(ConfigError) as error:
        CircleConfig.from_text("welcome:\n  message: 'Hi {user}'\n", registry)
    assert "welcome.message" in str(error.value) and "{member}" in str(error.value)
    with pytest.raises(ConfigError):
        CircleConfig.from_text("welcome:\n  trigger: onboarding\n", registry)
    config = CircleConfig.from_text("welcome:\n  trigger: onboarding_complete\n", registry)
    settings = config.for_community("x:y").rule_settings("welcome")
    assert isinstance(settings, WelcomeSettings) and settings.trigger == "onboarding_complete"


async def test_replayed_joins_and_rejoins_within_the_window_are_welcomed_once(
    wh: Harness,
) -> None:
    join = await wh.join("bob")
    assert await wh.engine.handle(join) is False  # the platform retried the same event
    await wh.advance("2h")
    await wh.join("bob")  # the same join replayed with a new event id
    await wh.send(MemberJoined(**{**join.model_dump(), "event_id": "left-and-came-back"}))
    await wh.advance("29d")
    await wh.join("bob")
    assert len(_welcomes(wh)) == 1
    await wh.advance("2d")
    await wh.join("bob")  # 31 days after the welcome: welcome back
    assert len(_welcomes(wh)) == 2


async def test_no_duplicate_welcome_after_a_restart(make: MakeHarness, sqlite_url: str) -> None:
    first = await make(sqlite_url)
    join = await first.join("bob")
    await first.close()
    second = await make(sqlite_url)
    second.clock.set(first.clock.now())
    assert await second.engine.handle(join) is False
    await second.send(MemberJoined(**{**join.model_dump(), "event_id": "resumed-gateway"}))
    assert _welcomes(second) == []
    assert len(_welcomes(first)) == 1


async def test_bots_are_not_welcomed(wh: Harness) -> None:
    await wh.join("helperbot", is_bot=True)
    assert wh.sent == []


async def test_disabled_welcome_stays_silent(make: MakeHarness, sqlite_url: str) -> None:
    h = await make(sqlite_url, "welcome:\n  enabled: false\n")
    await h.join("bob")
    await h.advance("4d")
    assert h.sent == []
