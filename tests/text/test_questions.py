"""Tests for bot.text.questions: question detection and small classifiers."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.questions import (
    is_code_only,
    is_greeting,
    is_question,
    is_thanks,
    question_score,
    says_solved,
)

QUESTIONS = [
    "how do I check the version of the kernel I am using?",
    "what is a good way to free up space on ltsp server",
    "Is there any harm if i disable ipv6?",
    "anyone know how I can query a mssql database from ubuntu",
    "hi all, does anyone know the gnome equivalent of katapult",
    "im trying to setup my ubuntu laptop as a wireless router. any advice",
    "I'm getting this error when I run apt: E: Sub-process /usr/bin/dpkg returned an error",
    "looking for a library that parses TOML in Rust",
    "I need help with my sound card",
    "my wifi doesn't work after the upgrade",
    "¿Cómo instalo Python en Windows?",
    "¿alguien sabe por qué no arranca el servidor?",
    "necesito ayuda con la configuración de la red",
    "el script no funciona desde que actualicé",
    "cómo puedo cambiar el idioma del teclado",
    "Hola, alguien me puede ayudar con docker",
    "can you recommend a good IDE for python",
]

NOT_QUESTIONS = [
    "hi all",
    "hello",
    "Hola a todos!",
    "buenos días",
    "thanks!",
    "ok thank you very much :)",
    "muchas gracias",
    "```\nsudo apt-get install foo\n```",
    "sudo apt-get install build-essential",
    "https://example.com/some/page?x=1",
    "lol",
    "ok",
    "what?",
    "!ipod | max82fr",
    "nano is very wysiwyg",
    "that's ATI's fault, not linux's",
    "",
    "   ",
]


@pytest.mark.parametrize("text", QUESTIONS)
def test_detects_questions_and_help_requests(text: str) -> None:
    assert is_question(text), question_score(text)


@pytest.mark.parametrize("text", NOT_QUESTIONS)
def test_rejects_chatter_greetings_thanks_code_and_urls(text: str) -> None:
    assert not is_question(text), question_score(text)


def test_bot_messages_are_never_questions() -> None:
    assert not is_question("how do I install it?", is_bot=True)
    assert question_score("how do I install it?", is_bot=True) == 0.0


def test_question_mark_inside_url_does_not_count() -> None:
    assert not is_question("see https://example.com/search?q=kernel+panic for details")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi all", True),
        ("Hello everyone!", True),
        ("hola a todos :)", True),
        ("good morning folks", True),
        ("hi, how do I mount a disk?", False),
        ("thanks", False),
        ("", False),
    ],
)
def test_is_greeting(text: str, expected: bool) -> None:
    assert is_greeting(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thanks!", True),
        ("thank you so much for the help", True),
        ("ty", True),
        ("gracias", True),
        ("muchas gracias a todos", True),
        ("thanks, but how do I undo it?", False),
        ("hello", False),
    ],
)
def test_is_thanks(text: str, expected: bool) -> None:
    assert is_thanks(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("solved, thanks", True),
        ("bob: that worked!", True),
        ("it works now", True),
        ("fixed it", True),
        ("ya funciona, gracias", True),
        ("resuelto", True),
        ("it's not fixed", False),
        ("still broken", False),
        ("no funciona", False),
    ],
)
def test_says_solved(text: str, expected: bool) -> None:
    assert says_solved(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("```python\nprint('hi')\n```", True),
        ("sudo apt-get install -y libfoo-dev", True),
        ("$ ls -la /etc", True),
        ("https://paste.ubuntu.com/123", True),
        ("[Mon Nov 27] TCP: 0x00 0x0f 0x11 --> 0x12 | 0x44 0x55", True),
        ("my build fails with this:\n```\nerror: x\n```", False),
        ("how do I run sudo apt-get update?", False),
    ],
)
def test_is_code_only(text: str, expected: bool) -> None:
    assert is_code_only(text) is expected


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_never_raises(text: str) -> None:
    score = question_score(text)
    assert 0.0 <= score <= 1.0
    assert isinstance(is_question(text), bool)
    assert isinstance(is_greeting(text) or is_thanks(text) or says_solved(text), bool)
    assert isinstance(is_code_only(text), bool)


@settings(max_examples=20, deadline=None)
@given(st.text(min_size=1, max_size=5), st.integers(min_value=1_000, max_value=20_000))
def test_huge_input_is_handled(chunk: str, repeat: int) -> None:
    text = (chunk + " how? ") * repeat
    assert 0.0 <= question_score(text) <= 1.0


def test_a_dot_inside_a_word_does_not_end_a_clause() -> None:
    text = (
        "just wondering, if I had a folder of files named 1.tex, 2.tex, 3.tex, 4.tex, 5.tex,"
        " 6.tex, 7.tex, what would I use to loop over them in bash"
    )
    assert is_question(text)


@pytest.mark.parametrize(
    "text", ["stupid question but what does the sticky bit do", "quick question: is ext4 stable"]
)
def test_phrases_announcing_a_question(text: str) -> None:
    assert is_question(text)


@pytest.mark.parametrize(
    ("text", "solved"),
    [
        ("the tty is empty", False),  # 'ty' inside words is no thanks
        ("that's pretty odd", False),
        ("ty", True),
        ("ok it works now", True),
    ],
)
def test_phrases_match_whole_words_only(text: str, solved: bool) -> None:
    assert says_solved(text) is solved


def test_a_nick_containing_a_problem_word_reports_no_problem() -> None:
    assert not is_question("error404notfound, disk is cheap. I'd go xfs")
