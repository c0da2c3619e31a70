"""`circle.yaml` clock times: `22:30` unquoted is 22:30, not YAML 1.1's base-60 number 1350."""

from __future__ import annotations

from datetime import date, time

import pytest
import yaml

from bot.circle_config import CircleConfig, ConfigError
from bot.config_yaml import load_config_yaml
from bot.rule import RuleRegistry
from tests.core.sample_rules import EchoRule

REGISTRY = RuleRegistry([EchoRule])


@pytest.mark.parametrize("text", ["22:30", "8:00", "1:02:03", "-1:30", "190:20:30.15"])
def test_clock_like_values_stay_text(text: str) -> None:
    assert yaml.safe_load(f"v: {text}")["v"] != text  # what plain YAML 1.1 does
    assert load_config_yaml(f"v: {text}") == {"v": text}


def test_everything_else_parses_as_plain_yaml() -> None:
    text = (
        "int: 12\nneg: -3\nhex: 0x1f\noct: 017\nbin: 0b101\nsep: 1_000\nfloat: 1.5\n"
        "exp: 6.8e+3\ninf: .inf\nbool: true\nnull: ~\nday: 2026-01-02\nword: 2h\n"
        "list: [1, a]\nquoted: '22:30'\n"
    )
    assert load_config_yaml(text) == yaml.safe_load(text)
    assert load_config_yaml(text)["day"] == date(2026, 1, 2)


def test_unquoted_quiet_hours_mean_what_they_say() -> None:
    config = CircleConfig.from_text("community: {quiet_hours: {start: 22:30, end: 7:45}}", REGISTRY)
    hours = config.for_community("console:circle").community.quiet_hours
    assert hours is not None
    assert (hours.start, hours.end) == (time(22, 30), time(7, 45))


@pytest.mark.parametrize("value", ["1350", "true", "7.5"])
def test_a_number_for_a_clock_time_is_refused_with_the_fix(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        CircleConfig.from_text(
            f"community: {{quiet_hours: {{start: {value}, end: '08:00'}}}}", REGISTRY
        )
    [problem] = [str(p) for p in caught.value.problems]
    assert "community.quiet_hours.start" in problem
    assert "'22:30'" in problem
