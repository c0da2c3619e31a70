"""Fixtures of the first-contact tests: a harness with the guard, welcome and a spy rule."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.adapter import Capabilities
from bot.rule import RuleRegistry
from rules.first_contact import FirstContact
from rules.welcome import Welcome
from tests.harness import Harness
from tests.rules.first_contact.spy import SpyRule

CONFIG = """
community:
  name: Test Circle
  moderators: {users: [mod], roles: [Mods]}
  moderators_channel: mods
  intro_channel: intro
first_contact:
  unseen_members: new
  allowed_domains: [python.org]
  trusted_roles: [Regulars]
channels:
  showcase:
    first_contact: {links: false}
"""

MakeHarness = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def make(tmp_path: object) -> AsyncIterator[MakeHarness]:
    """Build harnesses (several may share one database file to simulate restarts)."""
    made: list[Harness] = []

    async def build(
        url: str, config: str = CONFIG, *, capabilities: Capabilities | None = None
    ) -> Harness:
        registry = RuleRegistry([FirstContact, Welcome, SpyRule])
        h = await Harness.create(url, config, registry=registry, capabilities=capabilities)
        SpyRule.seen.clear()
        made.append(h)
        return h

    yield build
    for h in made:
        await h.close()


@pytest.fixture
async def fc(make: MakeHarness, sqlite_url: str) -> Harness:
    """A harness on SQLite with the default test config."""
    return await make(sqlite_url)
