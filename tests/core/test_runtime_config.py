"""`/circle config`: runtime overrides through the command path, stored, shared by replicas."""

from __future__ import annotations

import asyncio
import itertools

from sqlalchemy import func, select, update

from bot.actions import DirectMessage, Post
from bot.circle_config import CircleConfig
from bot.commands import REFUSAL
from bot.rule import RuleRegistry
from bot.runtime import PlatformRuntime
from bot.settings import ProcessSettings
from bot.storage.db import Database
from bot.storage.models import ConfigOverride
from rules.first_contact import FirstContact
from rules.welcome import Welcome
from tests.harness import Harness, texts
from tests.rules.welcome import conftest as welcome_fixtures
from tests.rules.welcome.conftest import CONFIG, MakeHarness
from tests.waiting import wait_until

make = welcome_fixtures.make  # the welcome tests' fixture: harnesses with FirstContact and Welcome


async def _harness(make: MakeHarness, url: str) -> Harness:
    return await make(url, CONFIG)


def _welcomed(h: Harness) -> list[str]:
    return [a.text for a in h.pop() if isinstance(a, Post | DirectMessage) and "Welcome" in a.text]


async def _stored(h: Harness) -> int:
    async with h.engine.database.session() as session:
        return int((await session.execute(select(func.count(ConfigOverride.id)))).scalar_one())


async def _say(h: Harness, text: str, user: str = "mod") -> str:
    (reply,) = texts(await h.command(user, text))
    return reply


async def test_set_show_unset_through_the_command(make: MakeHarness, sqlite_url: str) -> None:
    h = await _harness(make, sqlite_url)
    assert (await _say(h, "config")).startswith("No runtime overrides")
    assert await _say(h, "config set welcome.enabled false") == (
        "`welcome.enabled` is now false (undo: `/circle config unset welcome.enabled`)."
    )
    await _say(h, 'config set community.name "The Garden"')
    shown = await _say(h, "config show")
    assert "welcome.enabled = false (set by <@mod> on 2026-11-23 09:00 UTC;" in shown
    assert "otherwise built-in default)" in shown
    assert "community.name = The Garden (set by <@mod>" in shown
    assert "otherwise circle.yaml: Test Circle)" in shown
    assert await _say(h, "config unset welcome.enabled") == (
        "`welcome.enabled` is back to built-in default."
    )
    shown = await _say(h, "config")
    assert "welcome.enabled" not in shown and "community.name = The Garden" in shown
    assert "nothing to unset" in await _say(h, "config unset welcome.enabled")
    assert (await _say(h, "config frobnicate")).startswith("usage: `/circle config`")
    assert await _stored(h) == 3


async def test_clock_times_are_set_as_written(make: MakeHarness, sqlite_url: str) -> None:
    h = await _harness(make, sqlite_url)
    await _say(h, "config set community.quiet_hours {start: 22:30, end: 7:45}")
    hours = h.engine.config.for_community(h.community).community.quiet_hours
    assert hours is not None
    assert (hours.start.isoformat(), hours.end.isoformat()) == ("22:30:00", "07:45:00")
    refused = await _say(h, "config set community.quiet_hours.start 1350")
    assert "community.quiet_hours.start" in refused and "'22:30'" in refused


async def test_a_rule_follows_set_and_reverts_after_unset(
    make: MakeHarness, sqlite_url: str
) -> None:
    h = await _harness(make, sqlite_url)
    await _say(h, "config set welcome.enabled false")
    await h.join("ann")
    assert _welcomed(h) == []
    await _say(h, "config unset welcome.enabled")
    await _say(h, "config set community.name Garden")
    await h.join("bob")
    (welcome,) = _welcomed(h)
    assert welcome.startswith("Welcome to Garden, <@bob>!")
    await _say(h, "config unset community.name")
    await h.join("cy")
    (welcome,) = _welcomed(h)
    assert welcome.startswith("Welcome to Test Circle, <@cy>!")


async def test_invalid_keys_and_values_are_refused_and_nothing_is_stored(
    make: MakeHarness, sqlite_url: str
) -> None:
    h = await _harness(make, sqlite_url)
    unknown = await _say(h, "config set welcome.bogus 2h")
    assert unknown.startswith("Nothing changed: `welcome.bogus` was refused.")
    assert "welcome.bogus: unknown key (fix: remove it or use one of:" in unknown
    assert "enabled" in unknown
    wrong_type = await _say(h, "config set welcome.enabled maybe")
    assert "welcome.enabled:" in wrong_type and "fix: give a value of the right type" in wrong_type
    section = await _say(h, "config set questionz.enabled false")
    assert "questionz: unknown section (fix: use one of:" in section
    timezone = await _say(h, "config set community.timezone Mars/Base")
    assert "community.timezone: unknown timezone 'Mars/Base'" in timezone
    assert "IANA timezone" in timezone
    assert "drop the `communities.<id>.` prefix" in await _say(
        h, "config set communities.x.welcome.enabled false"
    )
    assert "not a dotted key" in await _say(h, "config set welcome..enabled false")
    assert "is not a valid value" in await _say(h, "config set community.norms [unclosed")
    assert await _stored(h) == 0
    assert (await _say(h, "config")).startswith("No runtime overrides")
    await h.join("ann")
    assert len(_welcomed(h)) == 1  # nothing changed behind the refusals


async def test_members_are_refused_and_do_not_see_it_in_help(
    make: MakeHarness, sqlite_url: str
) -> None:
    h = await _harness(make, sqlite_url)
    assert await _say(h, "config set welcome.enabled false", user="bob") == REFUSAL.format(
        name="config"
    )
    assert await _say(h, "config", user="bob") == REFUSAL.format(name="config")
    assert await _stored(h) == 0
    assert "/circle config" not in await _say(h, "help", user="bob")
    assert "/circle config [set|unset] [<key>] [<value>]:" in await _say(h, "help")


async def test_overrides_survive_a_restart(make: MakeHarness, sqlite_url: str) -> None:
    first = await _harness(make, sqlite_url)
    await _say(first, "config set welcome.enabled false")
    await first.close()
    again = await _harness(make, sqlite_url)
    again._ids = itertools.count(1000)
    await again.join("ann")
    assert _welcomed(again) == []
    assert "welcome.enabled = false" in await _say(again, "config")


async def test_a_second_engine_follows_after_its_version_check(
    make: MakeHarness, database_url: str
) -> None:
    one = await _harness(make, database_url)
    two = await _harness(make, database_url)
    two._ids = itertools.count(1000)  # its events are not the first one's (a shared inbox)
    assert await two.engine.refresh_config() is False  # nothing changed: just the version check
    await _say(one, "config set welcome.enabled false")
    assert await two.engine.refresh_config() is True
    await two.join("ann")
    assert _welcomed(two) == []
    await _say(two, "config unset welcome.enabled")
    await one.engine.refresh_config()
    await one.join("bob")
    assert len(_welcomed(one)) == 1


async def test_an_override_the_file_no_longer_accepts_is_skipped(
    make: MakeHarness, sqlite_url: str
) -> None:
    h = await _harness(make, sqlite_url)
    await _say(h, "config set welcome.enabled false")
    await _say(h, "config set community.name Garden")
    async with h.engine.database.session() as session:  # as if a later release renamed a key
        await session.execute(
            update(ConfigOverride)
            .where(ConfigOverride.key == "welcome.enabled")
            .values(key="welcome.enabled_old")
        )
    other = await make(sqlite_url, CONFIG)
    other._ids = itertools.count(1000)
    await other.join("bob")
    (welcome,) = _welcomed(other)
    assert welcome.startswith("Welcome to Garden")


def test_config_is_a_core_command_no_rule_may_take() -> None:
    registry = RuleRegistry([FirstContact, Welcome])
    assert "config" not in registry.commands()


def welcome_on(config: CircleConfig, community: str) -> bool:
    return config.for_community(community).is_enabled("welcome")


async def test_a_running_replica_follows_within_its_ticker_rounds(
    make: MakeHarness, sqlite_url: str
) -> None:
    """The ticker of `circlebot run` (not a direct version check) picks up another's change."""
    h = await _harness(make, sqlite_url)  # migrates; the other replica, where the change is made
    settings = ProcessSettings(database_url=sqlite_url, replica_id="r2")
    config = CircleConfig.from_text(CONFIG, RuleRegistry([FirstContact, Welcome]))
    runtime = PlatformRuntime(settings, config, Database(sqlite_url), adapters=[])
    running = asyncio.create_task(runtime.run())
    try:
        await wait_until(lambda: runtime.ready, bound=10)
        assert welcome_on(config, h.community)
        await _say(h, "config set welcome.enabled false")
        await wait_until(lambda: not welcome_on(config, h.community), bound=5)  # ticker: ~1 s
    finally:
        runtime.stopping.set()
        await asyncio.wait_for(running, 10)
        await runtime.engine.database.dispose()
