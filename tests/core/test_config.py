"""Community config: defaults, overrides, and precise errors for hostile files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.circle_config import CircleConfig, ConfigError
from bot.durations import format_duration, parse_duration
from bot.rule import RuleRegistry, default_registry
from tests.core.sample_rules import EchoRule

REGISTRY = RuleRegistry([EchoRule])
EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "circle.example.yaml"


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        CircleConfig.from_text(text, REGISTRY)
    return [str(p) for p in caught.value.problems]


def test_no_file_means_defaults() -> None:
    config = CircleConfig.load(None, REGISTRY)
    community = config.for_community("console:circle")
    assert community.community.timezone == "UTC"
    assert community.rule_settings("echo").model_dump()["remind_after"] == timedelta(minutes=10)


def test_the_shipped_example_is_valid_with_every_rule() -> None:
    config = CircleConfig.load(EXAMPLE, default_registry())
    assert config.for_community("slack:T1").community.timezone == "Europe/Madrid"


def test_community_and_channel_overrides() -> None:
    text = """
echo: {remind_after: 5m}
channels:
  showcase: {echo: {word: hey}}
communities:
  "slack:T2":
    community: {timezone: America/New_York}
    echo: {remind_after: 1h}
"""
    config = CircleConfig.from_text(text, REGISTRY)
    default = config.for_community("slack:T1")
    other = config.for_community("slack:T2")
    assert default.rule_settings("echo").model_dump()["remind_after"] == timedelta(minutes=5)
    assert other.rule_settings("echo").model_dump()["remind_after"] == timedelta(hours=1)
    assert other.community.timezone == "America/New_York"
    assert default.rule_settings("echo", "C1").model_dump()["word"] == "ping"
    assert default.rule_settings("echo", ["C9", "showcase"]).model_dump()["word"] == "hey"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("echo: {remind_after: 15 minutes}", "echo.remind_after: invalid duration"),
        ("echo: {remind_after: -5m}", "echo.remind_after"),
        ("echo: {remind_after: [1]}", "echo.remind_after"),
        ("echo: {wrod: x}", "echo.wrod: unknown key (fix: remove it or use one of: enabled"),
        ("echo: {enabled: maybe}", "echo.enabled"),
        ("echo: 5", "echo: must be a mapping"),
        ("ecko: {}", "ecko: unknown section (fix: use one of: channels, communities, community"),
        (
            "community: {timezone: Mars/Olympus}",
            "community.timezone: unknown timezone 'Mars/Olympus'",
        ),
        ("community: {moderators: {users: alice}}", "community.moderators.users"),
        ("community: {moderatorz: {}}", "community.moderatorz: unknown key"),
        ("community: {quiet_hours: {start: '25:00', end: '08:00'}}", "community.quiet_hours.start"),
        ("channels: {showcase: {nope: {}}}", "channels.showcase.nope: unknown rule"),
        (
            "channels: {showcase: {echo: {remind_after: soon}}}",
            "channels.showcase.echo.remind_after",
        ),
        ("communities: {'x:1': {echo: {word: [1]}}}", "communities.x:1.echo.word"),
        ("- just\n- a list", "(top level): must be a mapping"),
        ("echo: {word: [unclosed", "fix the YAML syntax"),
    ],
)
def test_hostile_config_names_the_key_and_the_fix(text: str, expected: str) -> None:
    found = problems(text)
    assert any(expected in p for p in found), found
    assert all("(fix: " in p for p in found)


def test_every_problem_is_reported_at_once() -> None:
    found = problems("echo: {remind_after: x, wrod: y}\ncommunity: {timezone: Nowhere}\n")
    assert len(found) == 3


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        CircleConfig.load(tmp_path / "missing.yaml", REGISTRY)


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("90s", 90),
        ("30m", 1800),
        ("2h", 7200),
        ("1d", 86400),
        ("1h30m", 5400),
        (" 1W ", 604800),
        (5, 5),
    ],
)
def test_durations(raw: object, seconds: int) -> None:
    assert parse_duration(raw) == timedelta(seconds=seconds)


@pytest.mark.parametrize("raw", ["", "m", "5", "5 minutes", "-1m", "1y", True, None, [1]])
def test_bad_durations(raw: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(raw)


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=999)))
def test_format_duration_round_trips_whole_units(delta: timedelta) -> None:
    text = format_duration(delta)
    assert parse_duration(text) <= delta


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises_anything_but_config_error(text: str) -> None:
    try:
        CircleConfig.from_text(text, REGISTRY)
    except ConfigError as exc:
        assert exc.problems


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["community", "echo", "channels", "communities", "x"]), yaml_values
    )
)
def test_arbitrary_structures_never_raise_anything_but_config_error(
    data: dict[str, object],
) -> None:
    try:
        config = CircleConfig(data, REGISTRY, source="fuzz")
        config.for_community("a:b").rule_settings("echo")
    except ConfigError as exc:
        assert exc.problems
