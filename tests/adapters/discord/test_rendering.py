"""Pure pieces: embeds from cards, button custom ids, usage -> options, shard and mode settings."""

from __future__ import annotations

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.commands import CommandSpec, parse_usage, shapes_for
from adapters.discord.embeds import FIELD_VALUE_MAX, TOTAL_MAX, card_embed
from adapters.discord.sending import ActionSender, chunks
from adapters.discord.settings import (
    ShardPlan,
    join_modes_from_config,
    parse_join_mode,
    parse_shards,
)
from adapters.discord.views import CircleButton, build_view, custom_id_for
from bot.actions import Button, Card, CardSection, Post
from bot.circle_config import CircleConfig
from bot.rule import default_registry


def test_card_sections_become_fields_with_footer() -> None:
    card = Card(
        title="Weekly digest",
        sections=(CardSection(heading="Answered", lines=("Q1 by bob", "Q2 by eve")), CardSection()),
        footer="Counts go to moderators only",
    )
    embed = card_embed(card)
    assert embed.title == "Weekly digest" and embed.footer.text == "Counts go to moderators only"
    assert [(f.name, f.value) for f in embed.fields] == [
        ("Answered", "Q1 by bob\nQ2 by eve"),
        ("\u200b", "\u200b"),
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.text(max_size=400),
    st.lists(
        st.tuples(st.text(max_size=300), st.lists(st.text(max_size=600), max_size=6)), max_size=40
    ),
)
def test_embeds_stay_within_discord_limits(
    title: str, sections: list[tuple[str, list[str]]]
) -> None:
    card = Card(
        title=title, sections=tuple(CardSection(heading=h, lines=tuple(ls)) for h, ls in sections)
    )
    embed = card_embed(card)
    assert len(embed) <= TOTAL_MAX and len(embed.fields) <= 25
    assert all(len(f.value or "") <= FIELD_VALUE_MAX for f in embed.fields)
    assert len(embed.description or "") <= 4096


def test_buttons_carry_their_command() -> None:
    view, left_out = build_view(
        (
            Button(label="Claim", command="claim 12", style="primary"),
            Button(label="x", command="y" * 200),
        )
    )
    assert view is not None and left_out[0].label == "x"
    (button,) = view.children
    assert isinstance(button, CircleButton) and button.custom_id == "circle:claim 12"
    assert button.item.style is discord.ButtonStyle.primary  # type: ignore[attr-defined]
    assert custom_id_for("  ") is None
    assert CircleButton.__discord_ui_compiled_template__.match("circle:snooze 12 1h")


def test_messages_split_and_left_out_buttons_become_text() -> None:
    long = "\n".join(f"line {i}" for i in range(600))
    assert all(len(c) <= 2000 for c in chunks(long)) and "".join(chunks(long)).count("line") == 600
    action = Post(
        community="discord:1",
        channel="2",
        text="hi",
        buttons=(Button(label="Big", command="z" * 120),),
    )
    (part,) = ActionSender.message_parts(action)
    assert part["content"].endswith("[Big: /circle " + "z" * 120 + "]") and "view" not in part


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ("unanswered [channel] [older-than]", [("channel", False), ("older_than", False)]),
        ("snooze <question> <duration>", [("question", True), ("duration", True)]),
        ("echo TEXT", [("text", True)]),
        ("help", []),
        ("mix [a] <b>", [("a", False), ("b", False)]),  # required after optional: optional
        ("digest subscribe|unsubscribe|now", [("action", True), ("args", False)]),
        ("prompt list|add|skip|now|approve S<n>|reject S<n>", [("action", True), ("args", False)]),
        ("report <what happened>", [("what_happened", True)]),
        ("approve H<id>", [("h_id", True)]),
    ],
)
def test_usage_lines_become_options(usage: str, expected: list[tuple[str, bool]]) -> None:
    name = usage.split()[0]
    assert [(o.name, o.required) for o in parse_usage(name, usage)] == expected


def test_shapes_keep_declared_order() -> None:
    shapes = shapes_for([CommandSpec("snooze", "snooze <question> <duration>", "hold")])
    assert shapes["snooze"].options == ("question", "duration") and "help" in shapes


@pytest.mark.parametrize(
    ("raw", "plan"),
    [
        (None, ShardPlan()),
        ("", ShardPlan()),
        ("0,1/4", ShardPlan([0, 1], 4)),
        ("3/4", ShardPlan([3], 4)),
        ("4", ShardPlan(None, 4)),
        ("/2", ShardPlan(None, 2)),
    ],
)
def test_shard_settings(raw: str | None, plan: ShardPlan) -> None:
    assert parse_shards(raw) == plan


@pytest.mark.parametrize("bad", ["4/4", "a/4", "0,1/0", "-1/2"])
def test_bad_shard_settings_say_how_to_fix(bad: str) -> None:
    with pytest.raises(ValueError, match="CIRCLEBOT_DISCORD_SHARDS"):
        parse_shards(bad)


def test_join_mode_from_env_or_the_welcome_rule() -> None:
    assert parse_join_mode(" Onboarded ") == "onboarded"
    with pytest.raises(ValueError, match="join"):
        parse_join_mode("later")
    config = CircleConfig.from_text(
        "welcome:\n  trigger: join\n"
        "communities:\n  discord:1:\n    welcome:\n      trigger: onboarding_complete\n",
        default_registry(),
    )
    modes = join_modes_from_config(config)
    assert (modes("discord:1"), modes("discord:2")) == ("onboarded", "join")
