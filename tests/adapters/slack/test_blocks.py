"""Pure Block Kit rendering: text, cards, buttons (unique action ids, commands as values)."""

from __future__ import annotations

import pytest

from adapters.slack.blocks import MAX_BLOCKS, BlockError, chunks, escape, render
from adapters.slack.translate import ACTION_PREFIX
from bot.actions import Button, Card, CardSection


def test_plain_text_needs_no_blocks_and_is_escaped() -> None:
    rendered = render("a < b & **bold** <@U0ALICE001> <https://x.y|x>")
    assert rendered.blocks is None
    assert rendered.text == "a &lt; b &amp; *bold* <@U0ALICE001> <https://x.y|x>"


def test_buttons_have_unique_action_ids_and_carry_commands() -> None:
    buttons = (
        Button(label="I'll take it", command="claim Q3", style="primary"),
        Button(label="Answered", command="answered Q3"),
        Button(label="Snooze 1h", command="snooze Q3 1h"),
        Button(label="Reject", command="reject H1", style="danger"),
    )
    rendered = render("Q3 waits for an answer", buttons=buttons)
    assert rendered.blocks is not None
    section, actions = rendered.blocks
    assert section["text"]["text"] == "Q3 waits for an answer"
    elements = actions["elements"]
    ids = [e["action_id"] for e in elements]
    assert len(set(ids)) == 4 and all(i.startswith(ACTION_PREFIX) for i in ids)
    assert [e["value"] for e in elements] == [
        "claim Q3",
        "answered Q3",
        "snooze Q3 1h",
        "reject H1",
    ]
    assert [e.get("style") for e in elements] == ["primary", None, None, "danger"]


def test_card_renders_header_sections_footer_and_fallback_text() -> None:
    card = Card(
        title="Weekly digest",
        sections=(CardSection(heading="Unanswered", lines=("Q1 in #help, 3h", "Q2 in #ops, 1d")),),
        footer="counts are for moderators only",
    )
    rendered = render("", card=card, buttons=(Button(label="Preview", command="digest now"),))
    assert rendered.blocks is not None
    kinds = [b["type"] for b in rendered.blocks]
    assert kinds == ["header", "section", "context", "actions"]
    assert rendered.blocks[1]["text"]["text"] == "*Unanswered*\nQ1 in #help, 3h\nQ2 in #ops, 1d"
    assert "Weekly digest" in rendered.text and "Q2 in #ops" in rendered.text


def test_limits_are_respected() -> None:
    long_text = "\n".join(f"line {i} " + "x" * 80 for i in range(200))
    card = Card(title="T" * 400, sections=tuple(CardSection(lines=(long_text,)) for _ in range(30)))
    buttons = tuple(Button(label="L" * 100, command=f"c {i}") for i in range(30))
    rendered = render(long_text, card=card, buttons=buttons)
    assert rendered.blocks is not None
    assert len(rendered.blocks) <= MAX_BLOCKS
    header = next(b for b in rendered.blocks if b["type"] == "header")
    assert len(header["text"]["text"]) <= 150
    for block in rendered.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
            assert all(len(e["text"]["text"]) <= 75 for e in block["elements"])
    assert sum(len(b["elements"]) for b in rendered.blocks if b["type"] == "actions") == 30
    assert len(rendered.text) <= 4000


def test_too_long_command_is_refused() -> None:
    with pytest.raises(BlockError):
        render("x", buttons=(Button(label="x", command="y" * 2001),))


def test_chunks_prefer_line_breaks() -> None:
    assert chunks("aaaa\nbbbb\ncc", size=9) == ["aaaa\nbbbb", "cc"]
    assert chunks("abcdefgh", size=3) == ["abc", "def", "gh"]
    assert escape("<!here> & <#C1|x>") == "<!here> &amp; <#C1|x>"
