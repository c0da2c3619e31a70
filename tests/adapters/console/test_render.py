"""The console shows what a member would see: the text, or the card when there is no text."""

from __future__ import annotations

from adapters.console.translate import plain_markup, render_action
from bot.actions import Card, CardSection, Ephemeral, Post

CARD = Card(title="Digest", sections=(CardSection(heading="Open", lines=("Q1 · <@bea>",)),))


def test_text_is_the_plain_fallback_of_a_card() -> None:
    shown = render_action(Post(community="c:1", channel="mods", text="1 open", card=CARD), 4)
    assert "1 open" in shown and "== Digest ==" not in shown
    assert shown.startswith("  [4] bot → #mods:")


def test_a_card_without_text_is_rendered_as_lines() -> None:
    shown = render_action(
        Ephemeral(community="c:1", channel="general", user="ann", card=CARD), None
    )
    assert "== Digest ==" in shown and "-- Open" in shown and "Q1 · @bea" in shown
    assert "(only @ann sees this)" in shown


def test_core_markup_becomes_console_names() -> None:
    assert plain_markup("hi <@U1>, see <#C9|help> and <#general>") == "hi @U1, see #C9 and #general"
