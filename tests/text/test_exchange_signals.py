"""Tests for the conversational signals that tell help from social talk in a flat channel."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.text.exchange import (
    AnswerSignal,
    ChatLine,
    OpenQuestion,
    find_answers,
    is_follow_up_in_exchange,
    is_social,
)
from bot.text.questions import gives_up, is_question, says_solved

T0 = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=30)
USERS = ["alice", "bob", "carol", "wezzer"]
Q = OpenQuestion(id="q", asker="alice", at=T0)


def line(lid: str, user: str, text: str, minute: int = 1) -> ChatLine:
    return ChatLine(id=lid, user=user, text=text, at=T0 + timedelta(minutes=minute))


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        ("hey wezzer", {"wezzer"}, True),
        ("carol: hi", {"carol"}, True),
        ("bob, carol: thanks!", {"bob", "carol"}, True),
        ("hola ana", {"ana"}, True),
        ("gracias bob", {"bob"}, True),
        ("bob: hi, try sudo apt-get install vlc", {"bob"}, False),
        ("bob: thanks, but it still fails", {"bob"}, False),
        ("bob", {"bob"}, False),
    ],
)
def test_is_social(text: str, names: set[str], expected: bool) -> None:
    assert is_social(text, names) is expected


def test_a_greeting_to_the_asker_answers_nothing() -> None:
    new = line("1", "bob", "alice: hi")
    assert find_answers(new, [Q], window=WINDOW, known_users=USERS) == []


def test_a_thanks_to_the_asker_answers_nothing() -> None:
    """'alice: thanks' says alice helped bob, not that bob answered alice."""
    new = line("1", "bob", "alice: thanks a lot")
    assert find_answers(new, [Q], window=WINDOW, known_users=USERS) == []


def test_the_asker_greeting_a_member_who_greeted_the_room_is_no_engagement() -> None:
    recent = [line("0", "alice", "my screen flickers at login, any ideas?", 0)]
    recent.append(line("1", "wezzer", "good evening everyone", 2))
    new = line("2", "alice", "hey wezzer", 3)
    assert find_answers(new, [Q], window=WINDOW, known_users=USERS, recent=recent) == []


def test_the_asker_thanking_who_responded_is_still_engagement() -> None:
    recent = [line("1", "bob", "udisksctl mount -b /dev/sdb1", 2)]
    new = line("2", "alice", "bob: ok, that mounted it", 3)
    signals = find_answers(new, [Q], window=WINDOW, known_users=USERS, recent=recent)
    assert signals == [AnswerSignal("q", "bob", "asker_engaged")]


def test_a_greeting_does_not_put_its_addressee_in_an_exchange() -> None:
    recent = [line("1", "carol", "bob: hi", 1)]
    new = line("2", "bob", "how does one mount a floppy drive?", 2)
    assert not is_follow_up_in_exchange(new, recent, window=timedelta(minutes=10))


def test_being_thanked_means_helping_not_being_helped() -> None:
    recent = [line("1", "carol", "bob: thanks", 1)]
    new = line("2", "bob", "why does sound stop after suspend?", 2)
    assert not is_follow_up_in_exchange(new, recent, window=timedelta(minutes=10))


def test_real_help_still_makes_the_next_line_a_follow_up() -> None:
    recent = [line("1", "carol", "bob: try sudo modprobe snd", 1)]
    new = line("2", "bob", "why does it say module not found?", 2)
    assert is_follow_up_in_exchange(new, recent, window=timedelta(minutes=10))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Maikshit: I don't know if it can be done, but somebody else might.", True),
        ("self: i dont know", True),
        ("sorry, can't help you, maybe somebody else will", True),
        ("ni idea, lo siento", True),
        ("no idea, try sudo apt-get install vlc", False),
        ("i dont know, maybe ask in #ubuntu-es", False),
        ("not sure, but see https://help.ubuntu.com/community/Sound", False),
        ("I have no idea how to fix my wifi, any help?", False),
        ("no sé, prueba con sudo", False),
        ("sivaji, you're on integrated graphics, sorry i can't help you :/", True),  # a frown
        ("no idea ;/", True),
        ("no idea, look in /etc/X11", False),  # a path is a suggestion
    ],
)
def test_gives_up(text: str, expected: bool) -> None:
    assert gives_up(text) is expected


def test_a_helper_giving_up_on_the_asker_answers_nothing() -> None:
    new = line("1", "bob", "alice: no idea, sorry")
    assert find_answers(new, [Q], window=WINDOW, known_users=USERS) == []


def test_a_give_up_does_not_make_the_next_question_a_follow_up() -> None:
    recent = [line("1", "carol", "bob: i dont know", 1)]
    new = line("2", "bob", "how do I print over samba?", 2)
    assert not is_follow_up_in_exchange(new, recent, window=timedelta(minutes=10))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("it works now :-P", True),
        ("yay thanks found it", True),
        (
            "I have apache going and it works in that I can sometimes reach it but it times out",
            False,
        ),
        ('the only thing that "solved" my screen problem was vesa', False),
        ("thanks, but it still fails", False),
        ("ya funciona pero solo a veces", False),
        ("gracias, ya funciona", True),
    ],
)
def test_a_hedged_or_quoted_success_is_not_solved(text: str, expected: bool) -> None:
    assert says_solved(text) is expected


@pytest.mark.parametrize(
    "text",
    [
        "hey all, is there any program more advanced than the time command",
        "hola a todos, cómo instalo vlc",
    ],
)
def test_a_question_opens_after_a_leading_greeting(text: str) -> None:
    assert is_question(text)


def test_a_bare_greeting_still_asks_nothing() -> None:
    assert not is_question("hi all, hello")
