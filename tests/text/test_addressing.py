"""Tests for bot.text.addressing: who a flat-channel message is addressed to."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.addressing import (
    NickIndex,
    addressed_users,
    nick_index,
    nick_key,
    same_member_key,
)

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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("natfallo: alright", ("Nafallo",)),  # one letter too many
        ("nafalo: ok", ("Nafallo",)),  # one letter missing
        ("nafello, ok", ("Nafallo",)),  # one letter wrong
        ("natfallo alright", ()),  # a typo counts only in the 'nick:' form
        ("xyzzy: hello", ()),
    ],
)
def test_a_nick_one_letter_off_is_that_member(text: str, expected: tuple[str, ...]) -> None:
    assert addressed_users(text, known_users=["Nafallo", "phill"]) == expected


def test_a_typo_close_to_two_members_matches_neither() -> None:
    assert addressed_users("marcs: hi", known_users=["marcus", "marco"]) == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("xkill is good to know.. agreed with bob", ()),
        ("ask about it to bob", ()),
        ("thanks, bob!", ("bob",)),
        ("that is in the wiki | bob", ("bob",)),
    ],
)
def test_a_trailing_nick_after_a_preposition_is_talked_about(
    text: str, expected: tuple[str, ...]
) -> None:
    assert addressed_users(text, known_users=["bob", "alice"]) == expected


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("ActionParsnip1", "ActionParsnip", True),
        ("bob_", "Bob", True),
        ("bob1", "bob", True),
        ("alice", "alicia", False),
        ("r2", "r3", False),
    ],
)
def test_same_member_key_joins_irc_nick_variants(a: str, b: str, same: bool) -> None:
    assert (same_member_key(a) == same_member_key(b)) is same


_NICKS = st.sampled_from(
    "Nafallo nafallo_ marcus marco marcs Tex-Twil Texas tex bob bob1 alice alicia U00123 U00124"
    " U0012 |trey| trey".split()
)
_TOKENS = st.sampled_from(
    "nafalo natfallo marc marcs tex texa text bob alic u0012 u00125 u001234 trey tre xyzzy bo"
    " nafallo: marcs, tex: texa, u0012: trey,".split()
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), _NICKS), max_size=30), st.lists(_TOKENS, max_size=6))
def test_an_index_that_follows_changes_answers_as_a_fresh_one(
    steps: list[tuple[bool, str]], tokens: list[str]
) -> None:
    index, names = NickIndex(["marcus"]), {"marcus"}
    index.lookup("warmup:", punctuated=True)  # its maps are built: changes update them

    def same(one: NickIndex, other: NickIndex) -> None:
        for token in [*tokens, *names]:
            for punctuated in (False, True):
                got = sorted(one.lookup(token, punctuated=punctuated))
                assert got == sorted(other.lookup(token, punctuated=punctuated)), token

    for add, name in steps:
        before, twin = sorted(names), index.copy()
        if add:
            index.add(name)
            names.add(name)
        else:
            index.discard(name)
            names.discard(name)
        same(index, NickIndex(sorted(names)))
        same(twin, NickIndex(before))  # a copy does not follow the original's changes
