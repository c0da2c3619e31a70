"""Start-up warm-up: the questions rule loads its lexicon before the first message."""

from __future__ import annotations

from bot.text.questions import lexicon
from rules.questions.rule import Questions


def test_warm_up_loads_the_lexicon() -> None:
    lexicon.cache_clear()
    assert lexicon.cache_info().currsize == 0
    Questions().warm_up()
    assert lexicon.cache_info().currsize == 1
    assert lexicon().interrogatives  # the parsed lexicon, ready for the first message
