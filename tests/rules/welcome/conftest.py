"""Fixtures of the welcome tests: a harness with the welcome rule and the first-contact guard."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.rule import RuleRegistry
from rules.first_contact import FirstContact
from rules.welcome import Welcome
from tests.harness import Harness

CONFIG = """
community:
  name: Test Circle
  moderators: {users: [mod]}
  moderators_channel: mods
  intro_channel: intro
  rules_channel: rules
  welcome_channel: welcome
  norms: [Be kind., Ask freely.]
welcome:
  burst_threshold: 3
"""

MakeHarness = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def make() -> AsyncIterator[MakeHarness]:
    """Build harnesses (several may share one database file to simulate restarts)."""
    made: list[Harness] = []

    async def build(url: str, config: str = CONFIG) -> Harness:
        h = await Harness.create(url, config, registry=RuleRegistry([FirstContact, Welcome]))
        made.append(h)
        return h

    yield build
    for h in made:
        await h.close()


@pytest.fixture
async def wh(make: MakeHarness, sqlite_url: str) -> Harness:
    """A harness on SQLite with the default welcome test config."""
    return await make(sqlite_url)
