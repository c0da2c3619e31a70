"""Tests for bot.text.addressing: who a flat-channel message is addressed to."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.addressing import NickIndex, addressed_users, nick_index, nick_key

KNOWN = ["ActionParsnip", "max82fr", "|trey|", "Tex-Twil", "[[mandrix]]", "home", "ana", "Bob"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("max82fr: does the device show up?", ("max82fr",)),
        ("MAX82FR, try dmesg", ("max82fr",)),
        ("|trey|, top in the list", ("|trey|",)),
        ("trey: hi", ("|trey|",)),
        ("@ActionParsnip thanks, that worked", ("ActionParsnip",)),
        ("thanks ActionParsnip!", ("ActionParsnip",)),
        ("gracias ana", ("ana",)),
        ("ana, bob: mirad esto", ("ana", "Bob")),
        ("Tex: nettop?", ("Tex-Twil",)),
        ("mandrix: you tell us", ("[[mandrix]]",)),
        ("!ipod | max82fr", ("max82fr",)),
        ("ok so we know the server is ok, bob", ("Bob",)),
        ("home directory is full", ()),
        ("how do I fix my home partition", ()),
        ("no nick here at all", ()),
        ("", ()),
    ],
)
def test_text_addressing(text: str, expected: tuple[str, ...]) -> None:
    assert addressed_users(text, known_users=KNOWN) == expected
    assert addressed_users(text, known_users=NickIndex(KNOWN)) == expected


def test_a_prefix_shared_by_two_nicks_is_ambiguous() -> None:
    index = NickIndex(["Tex-Twil", "Texas"])
    assert index.lookup("tex:", punctuated=True) == []
    assert index.lookup("text:", punctuated=True) == ["Tex-Twil"]
    assert index.lookup("text", punctuated=False) == []


def test_indexes_of_the_same_names_are_reused() -> None:
    first = nick_index(["ana", "Bob"])
    assert nick_index(("Bob", "ana")) is first
    assert nick_index(first) is first


def test_structured_mentions_come_first_and_are_kept() -> None:
    result = addressed_users("<@U123> see above, bob", mentions=["U123"], known_users=KNOWN)
    assert result == ("U123", "Bob")


def test_unknown_nicks_are_not_addressed() -> None:
    assert addressed_users("stranger: hello", known_users=KNOWN) == ()


def test_home_is_addressed_when_written_as_a_nick() -> None:
    assert addressed_users("home: hi there", known_users=KNOWN) == ("home",)


@pytest.mark.parametrize(
    ("name", "key"), [("[[Bob]]", "bob"), ("Tex-Twil", "textwil"), ("|||", "|||"), ("Ána", "ána")]
)
def test_nick_key(name: str, key: str) -> None:
    assert nick_key(name) == key


@settings(max_examples=200, deadline=None)
@given(st.text(), st.lists(st.text(max_size=20), max_size=8), st.lists(st.text(), max_size=3))
def test_hostile_input_never_raises(text: str, known: list[str], mentions: list[str]) -> None:
    result = addressed_users(text, mentions=mentions, known_users=known)
    assert isinstance(result, tuple)
    assert len(set(result)) == len(result)
